from .resnet32 import ResNet32
from .wide_resnet import WideResNet

__all__ = ['ResNet32', 'WideResNet']
