"""torch.nn.utils's spelling of gradient clipping (the implementation is micrograd.optim's)."""
from ..optim.clip import clip_grad_norm, clip_grad_norm_

__all__ = ["clip_grad_norm_", "clip_grad_norm"]
