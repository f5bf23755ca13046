"""LeNet Explorer's engine: model, data, preprocessing, inspection, arithmetic, training, jobs, checkpoints.

It never imports streamlit; the pages call into it.
"""

__version__ = "0.1.0"
