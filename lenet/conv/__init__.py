"""The Convolution lab's engine: one conv or pooling layer, and a whole network, measured and shown.

- arithmetic: output sizes and coverage, exactly as PyTorch computes them (pure maths).
- query: reading settings from URL query values and CLI arguments.
- explain: what the lab says about one layer: its report, formulas and nearby fixes.
- network: a network's shape and parameter table, from a table of its layers.
- ops: the layer run for real with PyTorch (preset kernels, a digit, a network's true shapes).
- cli: `python -m lenet shape`.

The lab's plotly figures live with every other figure, in lenet/figures/lab.py. Importing this package
imports none of its modules, so the CLI stays free of torch.
"""
