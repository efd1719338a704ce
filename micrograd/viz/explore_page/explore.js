/* micrograd.explore: step through the forward pass and each mode's backward walk.
 *
 * The log (JSON, written by micrograd/viz/explore.py) holds the graph's nodes, the
 * forward events (one per op run) and, per mode, the backward events the engine
 * reported: seed, target (naive mode), partial (one local partial evaluated) and store
 * (.grad written). The page adds up the partials itself, in the engine's order and
 * dtype, so the gradients it shows are the sums of the partials it shows.
 *
 * One timeline: step s applies the first s forward events in every pane, then the
 * next events of each mode in its own pane, so the panes stay in step and a mode that
 * evaluates fewer partials finishes first. Plain standard JavaScript: no library, no
 * network, nothing written to the console.
 */
(function () {
  "use strict";

  const LOG = JSON.parse(document.getElementById("mg-log").textContent);
  const NODES = LOG.nodes;
  const FORWARD = LOG.forward;
  const F = FORWARD.length;

  // ------------------------------------------------------------------ numbers
  function decode(val) {
    if (val) {
      val.v = val.v.map(function (x) {
        if (x === "nan") return NaN;
        if (x === "inf") return Infinity;
        if (x === "-inf") return -Infinity;
        return x;
      });
    }
    return val;
  }
  Object.keys(NODES).forEach(function (n) { decode(NODES[n].v); });
  FORWARD.forEach(function (ev) { decode(ev.v); });
  LOG.modes.forEach(function (m) {
    m.events.forEach(function (ev) { decode(ev.g); decode(ev.pg); });
  });

  function fmt(x, digits) {
    if (typeof x !== "number") return String(x);
    if (Number.isNaN(x)) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
    const a = Math.abs(x);
    if (a < 1e-3 || a >= 1e5) return x.toExponential(digits - 1).replace(/\.?0+e/, "e");
    return String(parseFloat(x.toPrecision(digits)));
  }

  function shapeText(s) {
    return s.length === 0 ? "scalar" : "(" + s.join(", ") + (s.length === 1 ? ",)" : ")");
  }

  /* A compact view that fits on a node: the values when there are at most 3. */
  function compact(val) {
    const v = val.v;
    if (v.length === 0) return "empty";
    if (val.s.length === 0) return fmt(v[0], 3);
    if (v.length <= 3) return "[" + v.map(function (x) { return fmt(x, 3); }).join(", ") + "]";
    return "[" + fmt(v[0], 3) + ", " + fmt(v[1], 3) + ", …]";  // the shape is on the line above
  }

  /* All the values, nested like the array, up to `cap` of them. */
  function full(val, digits, cap) {
    const s = val.s;
    const v = val.v;
    if (s.length === 0) return fmt(v[0], digits);
    let k = 0;
    function rows(d, indent) {
      const parts = [];
      for (let j = 0; j < s[d] && k < cap; j++) {
        if (d === s.length - 1) {
          parts.push(fmt(v[k], digits));
          k++;
        } else {
          parts.push(rows(d + 1, indent + " "));
        }
      }
      const sep = d === s.length - 1 ? ", " : ",\n" + indent;
      return "[" + parts.join(sep) + "]";
    }
    let text = rows(0, " ");
    if (v.length > cap) text += "\n… and " + (v.length - cap) + " more";
    return text;
  }

  function add(a, b, f32) {
    const v = new Array(a.v.length);
    for (let j = 0; j < v.length; j++) v[j] = f32 ? Math.fround(a.v[j] + b.v[j]) : a.v[j] + b.v[j];
    return { s: a.s, v: v };
  }

  // ------------------------------------------------------------------ names
  const ROLE = { param: "parameter", input: "input", tensor: "intermediate", output: "output" };
  function nameOf(n) {
    const m = NODES[n];
    if (!m) return n;
    if (m.kind === "op") return m.name + " (" + n + ")";
    return m.name ? m.name : ROLE[m.role] + " " + n;
  }
  function modeName(mode) { return mode === "naive" ? "naive mode" : mode; }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ------------------------------------------------------------------ one mode's state
  function newState(pane) {
    const value = {};
    Object.keys(NODES).forEach(function (n) { if (NODES[n].v) value[n] = NODES[n].v; });
    return { pane: pane, value: value, ran: {}, grad: {}, edgeN: {}, opN: {}, partials: 0,
             fwd: 0, target: null, lastG: null, cur: null };
  }

  function applyForward(st, ev) {
    const op = NODES[ev.op];
    st.value[op.output] = ev.v;
    st.ran[ev.op] = true;
    st.fwd += 1;
    st.cur = { ev: ev, nodes: [ev.op, op.output], edges: [op.out_edge] };
  }

  function applyEvent(st, ev, mode) {
    if (ev.k === "seed") {
      st.grad[ev.node] = { val: ev.g, kind: "seed" };
      st.cur = { ev: ev, nodes: [ev.node], edges: [] };
    } else if (ev.k === "target") {
      st.target = ev.node;
      st.cur = { ev: ev, nodes: [ev.node], edges: [] };
    } else if (ev.k === "partial") {
      const op = NODES[ev.op];
      const g = ev.g || st.lastG;
      st.lastG = g;
      st.partials += 1;
      st.opN[ev.op] = (st.opN[ev.op] || 0) + 1;
      const eid = op.edges[ev.i];
      if (eid) st.edgeN[eid] = (st.edgeN[eid] || 0) + 1;
      if (ev.first && st.grad[op.output]) {
        st.grad[op.output] = Object.assign({}, st.grad[op.output], { complete: true });
      }
      const prev = st.grad[ev.to];
      const f32 = !!ev.f32;
      let next;
      if (mode === "backprop" || ev.to === st.target) {  // a contribution to a sum
        if (prev && prev.kind === "sum") {
          const both = prev.f32 && f32;
          next = { val: add(prev.val, ev.pg, both), kind: "sum", n: prev.n + 1, f32: both };
        } else {
          next = { val: ev.pg, kind: "sum", n: 1, f32: f32 };
        }
        const uses = NODES[ev.to].uses;
        if (mode === "backprop" && next.n === uses) next.complete = true;
      } else {  // naive mode: the product along this path, passed down, not kept
        next = { val: ev.pg, kind: "path", n: prev && prev.kind === "path" ? prev.n + 1 : 1 };
      }
      st.grad[ev.to] = next;
      st.cur = { ev: ev, nodes: [ev.op, ev.to], edges: eid ? [eid] : [], g: g, edgeCount: eid ? st.edgeN[eid] : 0 };
    } else if (ev.k === "store") {
      ev.nodes.forEach(function (n) {
        const gr = st.grad[n];
        let val = gr.val;
        if (NODES[n].dtype === "float32" && !gr.f32) {  // .grad takes the tensor's dtype
          val = { s: val.s, v: val.v.map(Math.fround) };
        }
        st.grad[n] = Object.assign({}, gr, { val: val, stored: true, complete: true });
      });
      if (mode === "naive") st.target = null;
      st.cur = { ev: ev, nodes: ev.nodes.slice(), edges: [] };
    }
  }

  // ------------------------------------------------------------------ panes
  const panesBox = document.getElementById("mg-panes");
  const template = document.getElementById("mg-graph");
  const SVG_NS = "http://www.w3.org/2000/svg";
  const WHAT = {
    backprop: "one walk, outputs to inputs: each local partial evaluated once and its result reused",
    naive: "for each leaf, every path from the output down to it, evaluating each partial again"
  };

  function makePane(entry, k) {
    const mode = entry.mode;
    const section = el("section", { "class": "mg-pane", "data-mode": mode, "aria-label": modeName(mode) });
    section.appendChild(el("h2", {}, modeName(mode)));
    section.appendChild(el("p", { "class": "mg-what" }, WHAT[mode] || ""));
    const counts = el("p", { "class": "mg-counts" });
    const partials = el("b", { "class": "mg-partials", "data-mode": mode }, "0");
    const fwd = el("b", { "class": "mg-forward" }, "0");
    const status = el("span", { "class": "mg-status" });
    counts.appendChild(partials);
    counts.appendChild(document.createTextNode(" local partials evaluated · "));
    counts.appendChild(fwd);
    counts.appendChild(document.createTextNode(" forward ops · "));
    counts.appendChild(status);
    section.appendChild(counts);
    if (entry.refused) section.appendChild(el("p", { "class": "mg-refused", role: "note" }, entry.refused));
    const box = el("div", { "class": "mg-graph" });
    box.appendChild(document.importNode(template.content, true));
    section.appendChild(box);
    panesBox.appendChild(section);

    const svg = box.querySelector("svg");
    svg.style.width = LOG.size[0] + "px";  // natural size, scrolled; "Fit" shrinks it to the pane
    svg.setAttribute("role", "group");  // not "img": its nodes are buttons
    svg.setAttribute("aria-label", "the graph, " + modeName(mode) + " pane");
    // ids are unique per pane: n_t3 becomes p0-n_t3
    const nodeEl = {};
    const edgeEl = {};
    svg.querySelectorAll("[id]").forEach(function (e) {
      const id = e.getAttribute("id");
      if (id.indexOf("n_") === 0) nodeEl[id.slice(2)] = e;
      else if (id.indexOf("e_") === 0) edgeEl[id] = e;
      e.setAttribute("id", "p" + k + "-" + id);
    });
    const texts = {};
    Object.keys(nodeEl).forEach(function (n) {
      const g = nodeEl[n];
      const t = Array.prototype.slice.call(g.querySelectorAll("text"));
      texts[n] = { all: t, name: t[0] ? t[0].textContent : "", cache: {} };
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-label", NODES[n] ? nameOf(n) : (t[0] ? t[0].textContent : n));
      g.setAttribute("data-node", n);
      if (NODES[n] && NODES[n].name) g.setAttribute("data-name", NODES[n].name);
      g.addEventListener("click", function () { select(n); });
      g.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); e.stopPropagation(); select(n); }
      });
    });
    // a text on each edge for how many times its partial was evaluated
    const countEl = {};
    Object.keys(edgeEl).forEach(function (id) {
      const g = edgeEl[id];
      const path = g.querySelector("path");
      if (!path) return;
      const len = path.getTotalLength();
      const p = path.getPointAtLength(len / 2);
      const label = g.querySelector("text");  // a folded tensor's shape, already there
      const t = document.createElementNS(SVG_NS, "text");
      t.setAttribute("class", "mg-count");
      t.setAttribute("x", String(p.x + 4));
      t.setAttribute("y", String(p.y + (label ? 14 : -3)));
      g.appendChild(t);
      countEl[id] = t;
    });
    return { entry: entry, mode: mode, section: section, box: box, svg: svg, nodeEl: nodeEl, edgeEl: edgeEl,
             texts: texts, countEl: countEl, partialsEl: partials, fwdEl: fwd, statusEl: status,
             st: null, lit: [], shown: {} };
  }

  const panes = LOG.modes.map(makePane);
  const T = F + Math.max.apply(null, panes.map(function (p) { return p.entry.events.length; }).concat([0]));
  if (LOG.rankdir === "LR" || panes.length === 1) panesBox.classList.add("mg-stacked");

  function reset() {
    panes.forEach(function (p) { p.st = newState(p); });
  }

  function advance(p, s) {
    if (s < F) {
      applyForward(p.st, FORWARD[s]);
    } else if (s - F < p.entry.events.length) {
      applyEvent(p.st, p.entry.events[s - F], p.mode);
    } else {
      p.st.cur = null;  // this mode is done; the other is still walking
    }
  }

  // ------------------------------------------------------------------ drawing a pane
  function setText(p, n, which, text) {
    const t = p.texts[n];
    const e = which === "name" ? t.all[0] : which === "value" ? t.all[t.all.length - 2] : t.all[t.all.length - 1];
    if (e && t.cache[which] !== text) {
      e.textContent = text;
      t.cache[which] = text;
    }
  }

  function gradText(m, gr, mode) {
    if (!m.grad) return "no grad (needs none)";
    if (!gr) return "grad: none yet";
    const c = compact(gr.val);
    if (gr.stored) return ".grad ✓ " + c;
    if (gr.kind === "seed") return "grad = " + c + " (seed)";
    if (gr.kind === "path") return "path grad " + c + (gr.n > 1 ? " ×" + gr.n : "");
    if (mode === "naive") return "grad Σ " + c + " (" + gr.n + (gr.n > 1 ? " paths)" : " path)");
    if (gr.complete) return "grad ✓ " + c;
    return "grad Σ " + gr.n + "/" + m.uses + " " + c;
  }

  function hoverText(n, p) {
    const m = NODES[n];
    let text = nameOf(n);
    if (m.kind === "op") return text + "\n" + m.math + "\n" + m.partials;
    text += "\n" + shapeText(m.shape) + " " + m.dtype;
    const v = p.st.value[n];
    text += "\nvalue = " + (v ? full(v, 4, 200) : "not computed yet");
    const gr = p.st.grad[n];
    if (gr) text += "\n" + modeName(p.mode) + " gradient = " + full(gr.val, 4, 200);
    return text;
  }

  function drawPane(p) {
    const st = p.st;
    Object.keys(p.nodeEl).forEach(function (n) {
      const m = NODES[n];
      if (!m || m.at !== n) return;  // a module box: its own label stays
      const g = p.nodeEl[n];
      if (m.kind === "op") {
        const ran = !!st.ran[n] || !!st.value[m.output];
        setText(p, n, "grad", ran ? "∂ evaluated ×" + (st.opN[n] || 0) : "not run yet");
        g.classList.toggle("mg-pending", !ran);
      } else {
        const v = st.value[n];
        setText(p, n, "value", v ? "value " + compact(v) : "value: not computed");
        const gr = st.grad[n];
        setText(p, n, "grad", gradText(m, gr, p.mode));
        g.classList.toggle("mg-pending", !v);
        g.classList.toggle("mg-stored", !!(gr && gr.stored));
        if (p.shown[n] !== gr) {  // the DOM keeps the exact numbers, for whoever reads them
          if (gr) {
            g.setAttribute("data-grad", JSON.stringify(gr.val.v));
            g.setAttribute("data-grad-state", gr.stored ? "stored" : gr.kind);
          } else {
            g.removeAttribute("data-grad");
            g.removeAttribute("data-grad-state");
          }
          p.shown[n] = gr;
        }
      }
      const title = g.querySelector("title");  // the hover text: every value, in full
      const t = p.texts[n];
      if (title && (t.tv !== st.value[n] || t.tg !== st.grad[n] || !t.titled)) {
        title.textContent = hoverText(n, p);
        t.tv = st.value[n];
        t.tg = st.grad[n];
        t.titled = true;
      }
    });
    Object.keys(p.countEl).forEach(function (id) {
      const k = st.edgeN[id] || 0;
      p.edgeEl[id].classList.toggle("mg-used", k > 0);
      const text = k ? "×" + k : "";
      if (p.countEl[id].textContent !== text) p.countEl[id].textContent = text;
    });
    // what this step lights up
    p.lit.forEach(function (e) {
      e.classList.remove("mg-current");
      const count = e.querySelector && e.querySelector("text.mg-count");
      if (count && count.getAttribute("data-arrow")) count.removeAttribute("data-arrow");
    });
    Object.keys(p.texts).forEach(function (n) {
      const marked = p.texts[n].marked;
      if (marked) { setText(p, n, "name", p.texts[n].name); p.texts[n].marked = ""; }
    });
    p.lit = [];
    const cur = st.cur;
    if (cur) {
      cur.nodes.forEach(function (n) {
        const at = NODES[n] ? NODES[n].at : n;
        const g = p.nodeEl[at];
        if (!g) return;
        g.classList.add("mg-current");
        p.lit.push(g);
        if (p.texts[at] && !p.texts[at].marked) {
          setText(p, at, "name", "▶ " + p.texts[at].name);
          p.texts[at].marked = "▶";
        }
      });
      cur.edges.forEach(function (id) {
        const g = id && p.edgeEl[id];
        if (!g) return;
        g.classList.add("mg-current");
        p.lit.push(g);
        const count = p.countEl[id];
        if (count) {
          count.textContent = cur.ev.k === "forward" ? "▶" : "◀ ×" + (st.edgeN[id] || 0);
          count.setAttribute("data-arrow", "1");
        }
      });
    }
    if (st.target && p.texts[NODES[st.target].at] && !p.texts[NODES[st.target].at].marked) {
      const at = NODES[st.target].at;
      setText(p, at, "name", "◎ " + p.texts[at].name);
      p.texts[at].marked = "◎";
    }
    if (p.lit.length) keepInView(p.box, p.lit[0]);
    p.partialsEl.textContent = String(st.partials);
    p.section.setAttribute("data-partials", String(st.partials));
    p.fwdEl.textContent = String(st.fwd);
    p.statusEl.textContent = statusText(p);
  }

  /* Scroll the pane (not the page) to centre the step's node when it is out of view. */
  function keepInView(box, target) {
    const b = box.getBoundingClientRect();
    const r = target.getBoundingClientRect();
    const pad = 24;
    if (r.top < b.top + pad || r.bottom > b.bottom - pad) {
      box.scrollTop += (r.top + r.bottom) / 2 - (b.top + b.bottom) / 2;
    }
    if (r.left < b.left + pad || r.right > b.right - pad) {
      box.scrollLeft += (r.left + r.right) / 2 - (b.left + b.right) / 2;
    }
  }

  function statusText(p) {
    const n = p.entry.events.length;
    if (step < F) return "forward pass";
    if (p.entry.refused) return "left out of this page";
    if (step - F >= n) return "done";
    return "walking backward";
  }

  // ------------------------------------------------------------------ the side panel
  const nowBox = document.getElementById("mg-now");
  const selBox = document.getElementById("mg-selected");

  function line(parent, label, text, cls) {
    const p = el("p", { "class": "mg-line" });
    if (label) p.appendChild(el("span", {}, label + " "));
    p.appendChild(el("span", { "class": cls || "mg-num" }, text));
    parent.appendChild(p);
  }

  function describe(p, box) {
    const st = p.st;
    const cur = st.cur;
    box.appendChild(el("h3", {}, step === 0 ? "start" : step <= F ? "forward pass" : modeName(p.mode)));
    if (step === 0) {
      line(box, "", "Nothing has run yet. Step forward (→) to run the ops one by one: the forward pass comes first, then each mode's walk back.", "mg-plain");
      return;
    }
    if (!cur) {
      if (p.entry.refused) line(box, "", p.entry.refused, "mg-plain");
      else line(box, "", modeName(p.mode) + " is done: " + st.partials + " local partials evaluated.", "mg-plain");
      return;
    }
    const ev = cur.ev;
    if (ev.k === "forward") {
      const op = NODES[ev.op];
      line(box, "", "forward: " + nameOf(ev.op) + " runs on " + op.inputs.map(nameOf).join(", "), "mg-plain");
      if (op.math) line(box, "", op.math, "mg-formula");
      op.inputs.forEach(function (n, i) {
        const v = st.value[n];
        line(box, "input " + i + " " + nameOf(n) + " =", v ? compact(v) : "?");
      });
      line(box, "output " + nameOf(op.output) + " =", compact(ev.v) + " " + shapeText(ev.v.s));
    } else if (ev.k === "seed") {
      line(box, "", "The walk starts at " + nameOf(ev.node) + ": its gradient with respect to itself is 1.", "mg-plain");
      line(box, "seed =", compact(ev.g));
    } else if (ev.k === "target") {
      line(box, "", "Naive mode now walks every path from " + nameOf(LOG.root) + " down to " + nameOf(ev.node) + ", evaluating every partial on the way again; nothing is kept from the walks before.", "mg-plain");
    } else if (ev.k === "partial") {
      const op = NODES[ev.op];
      line(box, "", nameOf(ev.op) + ": the local partial for input " + ev.i + " (" + nameOf(ev.to) + ")", "mg-plain");
      if (op.partials) line(box, "", op.partials, "mg-formula");
      line(box, "g, the gradient at the output =", compact(cur.g) + " " + shapeText(cur.g.s));
      line(box, "g · ∂out/∂input =", compact(ev.pg) + " " + shapeText(ev.pg.s));
      if (ev.bshape) line(box, "", "summed over the broadcast axes, from shape " + shapeText(ev.bshape), "mg-plain");
      const gr = st.grad[ev.to];
      if (gr.kind === "path") {
        line(box, "", "passed down the path to " + nameOf(ev.to) + " (visit " + gr.n + "), not kept", "mg-plain");
      } else if (p.mode === "naive") {
        line(box, "", "added to " + nameOf(ev.to) + "'s total: path " + gr.n + ", now " + compact(gr.val), "mg-plain");
      } else {
        const uses = NODES[ev.to].uses;
        line(box, "", "added into " + nameOf(ev.to) + "'s gradient: " + gr.n + " of " + uses +
          " contributions" + (gr.n === uses ? ", complete" : "") + ", now " + compact(gr.val), "mg-plain");
      }
      if (cur.edgeCount > 1) {
        line(box, "", "This edge's partial has now been evaluated " + cur.edgeCount + " times (backprop evaluates it once).", "mg-plain");
      }
    } else if (ev.k === "store") {
      line(box, "", "The engine writes .grad of " + ev.nodes.map(nameOf).join(", ") + ".", "mg-plain");
      ev.nodes.slice(0, 4).forEach(function (n) { line(box, nameOf(n) + ".grad =", compact(st.grad[n].val)); });
    }
  }

  function drawPanel() {
    while (nowBox.firstChild) nowBox.removeChild(nowBox.firstChild);
    const shared = step <= F;  // the start and the forward pass are the same in every pane
    (shared ? panes.slice(0, 1) : panes).forEach(function (p) {
      const box = el("div", { "class": "mg-now-pane", "data-mode": p.mode });
      describe(p, box);
      nowBox.appendChild(box);
    });
    if (selected) drawSelected();
  }

  let selected = null;
  function select(n) {
    const at = NODES[n] ? n : null;
    panes.forEach(function (p) {
      Object.keys(p.nodeEl).forEach(function (k) { p.nodeEl[k].classList.toggle("mg-selected", k === n); });
    });
    selected = at || n;
    drawSelected();
  }

  function drawSelected() {
    while (selBox.firstChild) selBox.removeChild(selBox.firstChild);
    const m = NODES[selected];
    if (!m) {
      selBox.appendChild(el("p", { "class": "mg-hint" }, "A module drawn as one box: its steps light it up, and the panel above shows their numbers."));
      return;
    }
    selBox.appendChild(el("h3", {}, nameOf(selected)));
    if (m.kind === "op") {
      if (m.math) line(selBox, "", m.math, "mg-formula");
      if (m.partials) line(selBox, "", m.partials, "mg-formula");
      panes.forEach(function (p) {
        line(selBox, modeName(p.mode) + ":", "local partials evaluated ×" + (p.st.opN[selected] || 0), "mg-plain");
      });
      return;
    }
    line(selBox, "", ROLE[m.role] + ", " + shapeText(m.shape) + " " + m.dtype +
      (m.uses ? ", used by " + m.uses + (m.uses > 1 ? " ops" : " op") : ""), "mg-plain");
    const v = panes[0].st.value[selected];
    selBox.appendChild(el("p", {}, "value"));
    selBox.appendChild(el("pre", { "class": "mg-value" }, v ? full(v, 6, 2000) : "not computed yet"));
    panes.forEach(function (p) {
      const gr = p.st.grad[selected];
      selBox.appendChild(el("p", {}, modeName(p.mode) + ": " + gradText(m, gr, p.mode).replace(/ \[.*$/, "")));
      if (gr) selBox.appendChild(el("pre", { "class": "mg-grad", "data-mode": p.mode }, full(gr.val, 6, 2000)));
    });
  }

  // ------------------------------------------------------------------ the timeline
  let step = 0;
  const scrub = document.getElementById("mg-scrub");
  const stepText = document.getElementById("mg-step");
  scrub.max = String(T);

  function goTo(s) {
    s = Math.max(0, Math.min(T, s));
    if (s < step || panes[0].st === null) {  // back: replay from the start
      reset();
      step = 0;
    }
    while (step < s) {
      for (let k = 0; k < panes.length; k++) advance(panes[k], step);
      step += 1;
    }
    render();
  }

  function render() {
    panes.forEach(drawPane);
    drawPanel();
    scrub.value = String(step);
    const phase = step === 0 ? "start" : step <= F ? "forward pass, op " + step + " of " + F : "backward";
    stepText.textContent = "step " + step + " of " + T + " · " + phase;
    document.body.setAttribute("data-step", String(step));
    document.body.setAttribute("data-steps", String(T));
  }

  // ------------------------------------------------------------------ controls
  const playBtn = document.getElementById("mg-play");
  const speed = document.getElementById("mg-speed");
  const speedOut = document.getElementById("mg-speed-out");
  let timer = null;

  function setPlaying(on) {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    playBtn.setAttribute("aria-pressed", on ? "true" : "false");
    playBtn.textContent = on ? "⏸ Pause" : "▶ Play";
    if (on) timer = setTimeout(tick, 1000 / Number(speed.value));
  }
  function tick() {
    timer = null;
    if (step >= T) { setPlaying(false); return; }
    goTo(step + 1);
    if (step >= T) setPlaying(false);
    else timer = setTimeout(tick, 1000 / Number(speed.value));
  }
  function togglePlay() {
    if (timer !== null) { setPlaying(false); return; }
    if (step >= T) goTo(0);
    setPlaying(true);
  }

  document.getElementById("mg-start").addEventListener("click", function () { setPlaying(false); goTo(0); });
  document.getElementById("mg-back").addEventListener("click", function () { setPlaying(false); goTo(step - 1); });
  document.getElementById("mg-next").addEventListener("click", function () { setPlaying(false); goTo(step + 1); });
  document.getElementById("mg-end").addEventListener("click", function () { setPlaying(false); goTo(T); });
  playBtn.addEventListener("click", togglePlay);
  speed.addEventListener("input", function () { speedOut.textContent = speed.value + " steps/s"; });
  const fitBtn = document.getElementById("mg-fit");
  fitBtn.addEventListener("click", function () {
    const on = fitBtn.getAttribute("aria-pressed") !== "true";
    fitBtn.setAttribute("aria-pressed", on ? "true" : "false");
    panes.forEach(function (p) { p.svg.style.width = on ? "100%" : LOG.size[0] + "px"; });
  });
  scrub.addEventListener("input", function () { setPlaying(false); goTo(Number(scrub.value)); });

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const tag = e.target && e.target.tagName ? e.target.tagName.toUpperCase() : "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return;  // the button's own click
    if (e.key === "ArrowRight") { setPlaying(false); goTo(step + 1); }
    else if (e.key === "ArrowLeft") { setPlaying(false); goTo(step - 1); }
    else if (e.key === " ") togglePlay();
    else if (e.key === "Home") { setPlaying(false); goTo(0); }
    else if (e.key === "End") { setPlaying(false); goTo(T); }
    else return;
    e.preventDefault();
  });

  // ------------------------------------------------------------------ start
  const summary = document.getElementById("mg-summary");
  const nTensors = Object.keys(NODES).filter(function (n) { return NODES[n].kind === "tensor"; }).length;
  summary.textContent = nTensors + " tensors, " + (Object.keys(NODES).length - nTensors) + " ops; " +
    F + " forward steps, then " + LOG.modes.map(function (m) {
      return modeName(m.mode) + " " + (m.refused ? "(left out)" : m.partials + " local partials");
    }).join(" and ") + ".";
  const notes = document.getElementById("mg-notes");
  LOG.notes.forEach(function (n) { notes.appendChild(el("li", {}, n)); });

  let start = 0;
  const hash = window.location.hash;
  const m = /^#step=(\d+)$/.exec(hash);
  if (hash === "#end") start = T;
  else if (m) start = Number(m[1]);
  reset();
  goTo(start);
})();
