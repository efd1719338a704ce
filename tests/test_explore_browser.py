"""The explore page in a real browser: Debian's Chromium, driven by Selenium.

Two pages, as a student gets them: the lab's 2-10-2 network written by
`micrograd graph --model lab --html`, and a 3-layer chain from micrograd.explore. Each is
stepped to its end, and what the page shows is read back from the DOM: the gradient of
every parameter in each pane must equal the .grad the engine computes in that mode, and
each pane's counter the partials count_ops() counts. Stepping back must restore exactly
what was shown before, the page must write nothing to the console, and a screenshot must
show something. The lab's page is also opened in Firefox, which has no WebDriver here
(Debian packages no geckodriver): run headless with --screenshot, and read back through a
probe appended to a copy of the page. Skipped, with the reason, without Chromium, its
driver, Selenium or Firefox (.ci/run installs them all, and CI fails on any skip).
"""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tempfile

import numpy as np
import pytest

import micrograd as mg
from micrograd import count_ops
from micrograd.cli import main as cli_main
from micrograd.lab.families import build_model

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not "
                                "installed (apt-get install graphviz): explore lays out with it")

# The pages: name -> (family, options of build_model), all float64, so that the page's sums
# and the engine's agree to the last bit. The ladder's leaf gets many contributions (x + x,
# and 16 paths in naive mode), so the page's own additions are checked too.
PAGES = {"lab": ("lab", {}), "chain": ("chain", {"depth": 3}),
         "ladder": ("ladder", {"depth": 4})}

# The state a student sees, read from the DOM: per pane its counters and, per node, its
# classes, its gradient's exact numbers and every line of its text; the edges' counts;
# the side panel's text.
SNAPSHOT = """
return Array.from(document.querySelectorAll('.mg-pane')).map(p => [
  p.getAttribute('data-mode'), p.querySelector('.mg-partials').textContent,
  p.querySelector('.mg-forward').textContent, p.querySelector('.mg-status').textContent,
  Array.from(p.querySelectorAll('g.node')).map(g => [g.getAttribute('class'),
    g.getAttribute('data-grad'), Array.from(g.querySelectorAll('text')).map(t => t.textContent)]),
  Array.from(p.querySelectorAll('g.edge')).map(g => [g.getAttribute('class'),
    (g.querySelector('text.mg-count') || {}).textContent])
]).concat([document.getElementById('mg-now').textContent, document.body.dataset.step]);
"""


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Chromium and its driver are not installed "
                    "(apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="Selenium is not installed (pip install 'micrograd[browser]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="micrograd-chromium-")
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                "--window-size=1400,900"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The two pages, written as a student would write them."""
    folder = tmp_path_factory.mktemp("pages")
    lab = folder / "lab.html"
    assert cli_main(["graph", "--model", "lab", "--html", str(lab)]) == 0
    written = {"lab": lab}
    for name in ("chain", "ladder"):
        family, kw = PAGES[name]
        written[name] = mg.explore(build_model(family, **kw).loss, folder / f"{name}.html").path
    return written


def engine_grads(name, mode):
    """Each parameter's .grad after one backward() in `mode`, by name, and the partials."""
    family, kw = PAGES[name]
    member = build_model(family, **kw)
    loss = member.loss()
    with count_ops() as c:
        loss.backward(mode=mode)
    return {p.name: np.asarray(p.grad) for p in member.params}, c.partials


def forward_ops(name):
    family, kw = PAGES[name]
    member = build_model(family, **kw)
    with count_ops() as c:
        member.loss()
    return c.forward


def open_page(driver, path):
    driver.get(path.as_uri())
    driver.get_log("browser")  # nothing before the page either; drained, then checked
    return driver


def press(driver, key, times=1):
    """Keys as the page gets them from a keyboard: keydown events on the document."""
    driver.execute_script(
        "for (let i = 0; i < arguments[1]; i++) document.dispatchEvent("
        "new KeyboardEvent('keydown', {key: arguments[0], bubbles: true}));", key, times)


def step(driver):
    return int(driver.execute_script("return document.body.dataset.step"))


def steps(driver):
    return int(driver.execute_script("return document.body.dataset.steps"))


def assert_quiet(driver):
    messages = driver.get_log("browser")
    assert messages == [], f"the page wrote to the console: {messages}"


# --------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("name", sorted(PAGES))
def test_stepped_to_the_end_the_page_shows_the_engines_gradients_and_counts(
        browser, pages, name):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    d = open_page(browser, pages[name])
    assert step(d) == 0
    ActionChains(d).send_keys(Keys.END).perform()  # a real key press
    assert step(d) == steps(d) > 0
    for mode in ("backprop", "naive"):
        grads, partials = engine_grads(name, mode)
        pane = f'.mg-pane[data-mode="{mode}"]'
        shown = d.execute_script(
            f"return document.querySelector('{pane} .mg-partials').textContent")
        assert int(shown) == partials, mode
        fwd = d.execute_script(f"return document.querySelector('{pane} .mg-forward').textContent")
        assert int(fwd) == forward_ops(name)
        for pname, grad in grads.items():
            node = f'{pane} g.node[data-name="{pname}"]'
            raw, state, text = d.execute_script(
                f"const g = document.querySelector('{node}'); return [g.getAttribute('data-grad'),"
                " g.getAttribute('data-grad-state'), g.querySelector('text:last-of-type')"
                ".textContent];")
            assert state == "stored" and text.startswith(".grad ✓"), (mode, pname, text)
            np.testing.assert_array_equal(np.array(json.loads(raw)).reshape(grad.shape), grad,
                                          err_msg=f"{mode} pane, {pname}")
    assert_quiet(d)


@pytest.mark.parametrize("name", ["lab", "chain"])
def test_stepping_back_restores_what_was_shown(browser, pages, name):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    d = open_page(browser, pages[name])
    start = d.execute_script(SNAPSHOT)
    total = steps(d)
    for k in (1, total // 3, total // 2, total - 3):  # in the forward pass and both walks
        press(d, "Home")
        press(d, "ArrowRight", k)
        before = d.execute_script(SNAPSHOT)
        ActionChains(d).send_keys(*[Keys.ARROW_RIGHT] * 3).perform()
        assert step(d) == k + 3
        assert d.execute_script(SNAPSHOT) != before
        ActionChains(d).send_keys(*[Keys.ARROW_LEFT] * 3).perform()
        assert d.execute_script(SNAPSHOT) == before, f"back from step {k + 3} to {k}"
    # one step at a time to the end shows what a jump there shows
    press(d, "Home")
    press(d, "ArrowRight", total)
    walked = d.execute_script(SNAPSHOT)
    press(d, "Home")
    assert d.execute_script(SNAPSHOT) == start
    press(d, "End")
    assert d.execute_script(SNAPSHOT) == walked
    press(d, "ArrowRight")  # past the end: nothing changes
    assert d.execute_script(SNAPSHOT) == walked
    assert_quiet(d)


def test_play_pause_and_the_buttons(browser, pages):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    d = open_page(browser, pages["lab"])
    d.execute_script("const s = document.getElementById('mg-speed'); s.value = 30;"
                     "s.dispatchEvent(new Event('input'));")
    play = d.find_element(By.ID, "mg-play")
    play.click()
    assert play.get_attribute("aria-pressed") == "true"
    WebDriverWait(d, 5).until(lambda drv: step(drv) >= 3)
    play.click()
    assert play.get_attribute("aria-pressed") == "false"
    paused = step(d)
    d.find_element(By.ID, "mg-back").click()
    assert step(d) == paused - 1
    d.find_element(By.ID, "mg-next").click()
    d.find_element(By.ID, "mg-next").click()
    assert step(d) == paused + 1
    d.find_element(By.ID, "mg-end").click()
    assert step(d) == steps(d)
    d.find_element(By.ID, "mg-start").click()
    assert step(d) == 0
    assert_quiet(d)


def test_a_clicked_node_shows_all_its_values(browser, pages):
    from selenium.webdriver.common.by import By

    d = open_page(browser, pages["lab"])
    press(d, "End")
    node = d.find_element(By.CSS_SELECTOR, '.mg-pane[data-mode="backprop"] '
                                           'g.node[data-name="hidden1.W"]')
    node.click()
    text = d.find_element(By.CSS_SELECTOR, '#mg-selected pre.mg-grad[data-mode="backprop"]').text
    shown = np.array([float(v) for v in text.replace("[", " ").replace("]", " ")
                      .replace(",", " ").split()])
    grads, _ = engine_grads("lab", "backprop")
    np.testing.assert_allclose(shown, grads["hidden1.W"].reshape(-1), rtol=1e-5)
    assert "value" in d.find_element(By.ID, "mg-selected").text
    assert_quiet(d)


def test_the_page_is_not_blank(browser, pages):
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (it comes with "
                                "the plot extra: pip install 'micrograd[plot]')")

    d = open_page(browser, pages["lab"])
    press(d, "ArrowRight", 20)
    png = d.get_screenshot_as_png()
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    not_white = (image < 240).any(axis=2).mean()
    colours = len(np.unique(image.reshape(-1, 3), axis=0))
    assert not_white > 0.05 and colours > 50, (not_white, colours)
    assert_quiet(d)


# --------------------------------------------------------------------------- Firefox

# Before the page's script: record whatever it would write to the console, and its errors.
_FIREFOX_SHIM = """<script>
window.mgSeen = [];
["log", "info", "warn", "error", "debug"].forEach(function (k) {
  console[k] = function () { window.mgSeen.push(k + ": " + Array.from(arguments).join(" ")); };
});
window.addEventListener("error", function (e) { window.mgSeen.push("error: " + e.message); });
</script>"""
# After it: the page's state, printed to Firefox's stdout (window.dump, a Firefox API).
_FIREFOX_PROBE = """<script>
window.dump("MGSTATE " + JSON.stringify({
  step: document.body.dataset.step, steps: document.body.dataset.steps, seen: window.mgSeen,
  panes: Array.from(document.querySelectorAll(".mg-pane")).map(function (p) {
    return {mode: p.dataset.mode, partials: p.querySelector(".mg-partials").textContent,
            grads: Array.from(p.querySelectorAll("g.node[data-name][data-grad]")).map(
              function (g) { return [g.dataset.name, g.dataset.grad, g.dataset.gradState]; })};
  })}) + "\\n");
</script>"""


def test_the_lab_page_in_firefox(pages, tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (it comes with "
                                "the plot extra: pip install 'micrograd[plot]')")
    if FIREFOX is None:
        pytest.skip("Firefox is not installed (apt-get install firefox-esr)")
    html = pages["lab"].read_text("utf-8")
    head = html.index("<head>") + len("<head>")
    end = html.rindex("</body>")
    probed = tmp_path / "lab-probed.html"
    probed.write_text(html[:head] + _FIREFOX_SHIM + html[head:end] + _FIREFOX_PROBE + html[end:],
                      "utf-8")
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "user.js").write_text(
        'user_pref("browser.dom.window.dump.enabled", true);\n'
        'user_pref("devtools.console.stdout.content", true);\n'
        'user_pref("browser.shell.checkDefaultBrowser", false);\n'
        'user_pref("datareporting.policy.dataSubmissionEnabled", false);\n')
    shot = tmp_path / "firefox.png"
    done = subprocess.run(
        [FIREFOX, "--headless", "--no-remote", "--profile", str(profile), "--window-size",
         "1400,900", "--screenshot", str(shot), probed.as_uri() + "#end"],
        capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    found = re.search(r"^MGSTATE (.*)$", output, re.M)
    assert found, f"the page did not run in Firefox:\n{output[-2000:]}"
    state = json.loads(found.group(1))
    assert state["seen"] == [], "the page wrote to the console or failed in Firefox"
    assert probed.as_uri() not in output, output  # Firefox's own report of a page error
    assert state["step"] == state["steps"] and int(state["steps"]) > 0
    for pane in state["panes"]:
        grads, partials = engine_grads("lab", pane["mode"])
        assert int(pane["partials"]) == partials
        shown = {name: (np.array(json.loads(raw)), st) for name, raw, st in pane["grads"]}
        assert grads.keys() <= shown.keys()  # and the loss, with its seed
        for name, grad in grads.items():
            values, st = shown[name]
            assert st == "stored"
            np.testing.assert_array_equal(values.reshape(grad.shape), grad)
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert (image < 240).any(axis=2).mean() > 0.05
