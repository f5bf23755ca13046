"""LeNet Explorer's engine. It never imports streamlit; app.py, ui.py and pages/ call into it.

- settings: every LENET_* environment variable and the values shared with .streamlit/config.toml.
- errors: CodedError, the base of every error reported to a person (a code and params to translate).
- config: LeNetConfig (torch-free) and the layer table that the model and the lab's network table share.
- model: LeNet, built from that table, and the weights of its conv layers.
- device: the one device probe (CUDA, Apple MPS or the CPU) and thread counts.
- data: MNIST's IDX files as uint8 arrays, MEAN/STD and normalise, the picker's digits, downloading.
- images: decoding an uploaded file safely (size limits, formats, modes) into an image.
- preprocess: MNIST's recipe: any image of a digit to the 28x28 model input, every step kept.
- inference: the one batched inference loop.
- explain: one answer seen from inside: every layer's output, the probabilities, a saliency map.
- evaluation: accuracy, per-class accuracy, confusion matrix and mistakes of a model.
- events: typed training events (Start, Step, Eval, End).
- train: the training engine: MNIST as tensors on the device, callbacks, stop, NaN guard.
- worker: train.fit in a low-priority child process.
- jobs: background training runs shared by every session: queue, limits, owners, stop, saving.
- checkpoints: safetensors save, load and list, with the config and metrics inside.
- conv/: the convolution engine: arithmetic, reading a layer from a URL, explanations, the network table,
  torch ops, and `python -m lenet shape`.
- figures/: every picture: theme colours, mosaics, HTML bars, plotly charts, the lab's figures, the Draw
  page's view.
- classmode/: class mode's store: classes, members, digits and quizzes in SQLite or PostgreSQL.
- i18n/: every UI string, in English and 简体中文.
- __main__: the command line, `python -m lenet SUBCOMMAND`.
"""

__version__ = "0.1.0"
