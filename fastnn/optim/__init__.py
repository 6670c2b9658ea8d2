"""fastnn.optim: optimizers and learning-rate schedulers with PyTorch's API and update rules."""
from . import lr_scheduler  # noqa: F401
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from .adadelta import Adadelta
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .radam import RAdam

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler",
           "Adadelta", "Adamax", "LBFGS", "NAdam", "RAdam"]
