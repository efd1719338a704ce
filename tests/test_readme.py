"""README.md's "Ten lines" example runs as printed and gives backprop's gradients."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def ten_lines() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("```python\n", text.index("## Ten lines")) + len("```python\n")
    return text[start:text.index("```", start)]


def test_the_ten_lines_run_and_their_gradients_are_right() -> None:
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(ten_lines(), str(README), "exec"), namespace)
    x, W, b, c = (namespace[k] for k in ("x", "W", "b", "c"))
    assert "local partials" in out.getvalue() and c.partials > 0
    # The gradients written out, in float64. .grad holds two runs added up: backprop's of
    # loss = -mean_i log softmax(tanh(xW + b))_i0, then the naive run's of sum(tanh(xW + b)).
    x64, W64, b64 = (t.detach().numpy().astype(np.float64) for t in (x, W, b))
    h = np.tanh(x64 @ W64 + b64)
    p = np.exp(h) / np.exp(h).sum(axis=1, keepdims=True)
    onehot = np.zeros_like(p)
    onehot[:, 0] = 1
    g_loss = (p - onehot) / len(p) * (1 - h ** 2)  # through log_softmax, then tanh
    g_sum = 1 - h ** 2
    assert W.grad.dtype == np.float32  # the default float all through, as in PyTorch
    np.testing.assert_allclose(W.grad, x64.T @ (g_loss + g_sum), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b.grad, (g_loss + g_sum).sum(axis=0), rtol=1e-4, atol=1e-5)
