"""fastnn.datasets: the UCI digits shipped with fastnn, and readers for MNIST (IDX) and CIFAR-10 files.

Nothing here downloads: MNIST and CIFAR10 read files you already have and say
where to get them when they are missing.
"""
from .cifar import CIFAR10, read_cifar10_binary
from .digits import Digits, load_digits
from .mnist import MNIST, read_mnist_idx

__all__ = ["load_digits", "Digits", "read_mnist_idx", "MNIST", "read_cifar10_binary", "CIFAR10"]
