from . import (backbones, classifiers, heads, losses, samplers,  # noqa: F401
               segmentors, selfsup, utils)
