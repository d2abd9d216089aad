from . import (backbones, classifiers, data_preprocessors,  # noqa: F401
               heads, losses, pseudo_labelers, samplers, sar, segmentors,
               selfsup, utils)
