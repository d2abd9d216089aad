from . import (backbones, classifiers, data_preprocessors,  # noqa: F401
               heads, losses, samplers, segmentors, selfsup, utils)
