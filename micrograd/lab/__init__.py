"""The lab's experiments: the model families, naive mode against backprop, the demo."""
