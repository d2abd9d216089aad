from . import (backbones, classifiers, data_preprocessors,  # noqa: F401
               heads, losses, samplers, sar, segmentors, selfsup, utils)
