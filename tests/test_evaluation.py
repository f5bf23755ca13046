import numpy as np
import pytest
import torch
from tiny_mnist import bars

from lenet import checkpoints
from lenet.checkpoints import CheckpointError
from lenet.data import MNIST
from lenet.evaluation import evaluate_checkpoint, evaluate_model


class Scripted(torch.nn.Module):
    """Answers from a table: the i-th image of the batch gets logits[i]."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.tensor(logits, dtype=torch.float32)

    def forward(self, x):
        return self.logits[torch.arange(len(x))]


def test_confusion_per_class_and_mistakes_most_confident_first():
    labels = np.array([0, 1, 1, 2])
    logits = [[5, 0, 0], [0, 5, 0], [0, 1, 3], [4, 0, 0]]  # right, right, 1 -> 2 (~84 %), 2 -> 0 (~96 %)
    result = evaluate_model(Scripted(logits), np.zeros((4, 28, 28), np.uint8), labels, num_classes=3)
    assert result.confusion.tolist() == [[1, 0, 0], [0, 1, 1], [1, 0, 0]]
    assert result.n == 4 and result.correct == 2 and result.accuracy == 0.5
    assert result.per_class.tolist() == [1.0, 0.5, 0.0]
    mistakes = result.mistakes()
    assert [(m.index, m.true, m.pred) for m in mistakes] == [(3, 2, 0), (2, 1, 2)]
    assert mistakes[0].confidence > mistakes[1].confidence > 0.5
    assert [m.index for m in result.mistakes(true=1)] == [2]
    assert result.mistakes(pred=1) == [] and len(result.mistakes(limit=1)) == 1


def test_a_class_without_digits_has_no_accuracy():
    result = evaluate_model(Scripted([[5, 0, 0]]), np.zeros((1, 28, 28), np.uint8), np.array([0]), num_classes=3)
    assert result.per_class[0] == 1.0 and np.isnan(result.per_class[1:]).all()


def test_a_checkpoint_is_evaluated_on_the_digits_it_is_given():
    images, labels = bars(300, 4)
    data = MNIST(images, labels, images, labels)
    result = evaluate_checkpoint(checkpoints.DEFAULT_CHECKPOINT, data)
    assert result.n == 300 and result.class_counts.tolist() == np.bincount(labels, minlength=10).tolist()


def test_a_broken_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"nonsense")
    with pytest.raises(CheckpointError):
        evaluate_checkpoint(bad)
