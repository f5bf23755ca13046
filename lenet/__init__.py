"""LeNet Explorer's engine. It never imports streamlit; app.py, ui.py and pages/ call into it.

- model: LeNetConfig and LeNet, the network and the variants students try.
- data: finding MNIST on disk, loading it into tensors, downloading it on request.
- images: decoding an uploaded file safely (size limits, formats, modes) into an image.
- preprocess: MNIST's recipe: any image of a digit to the 28x28 model input, every step kept.
- explain: one answer seen from inside: every layer's output, the probabilities, kernels, saliency.
- figures/: every picture: the theme's colours, mosaics, HTML bars, plotly charts, the Draw page's view.
- evaluation: accuracy, per-class accuracy, confusion matrix and mistakes on the MNIST test set.
- arithmetic: conv and pooling output sizes as PyTorch computes them, and why a setting fails.
- lab: the Convolution lab's settings, kernels, pictures and whole-network table.
- train: the training engine: MNIST as tensors on the device, callbacks, stop, NaN guard.
- worker: train.fit in a child process.
- jobs: background training runs shared by every session: queue, limit, owners, stop.
- checkpoints: safetensors save, load and list, with the config and metrics inside.
- errors: CodedError, the base of every error reported to a person.
- appconfig: the values shared with the Streamlit server, read from .streamlit/config.toml.
- i18n/: every UI string, in English and 简体中文.
- cli_shape: `python -m lenet shape`.
- __main__: the command line, `python -m lenet SUBCOMMAND`.
"""

__version__ = "0.1.0"
