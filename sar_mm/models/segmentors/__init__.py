from .fixmatch_segmentor import FixMatchSegmentor
from .sar_segmentor import (UNSUPPORTED_HEADS, SARCascadeEncoderDecoder,
                            SAREncoderDecoder, SARSegmentorMixin,
                            check_sar_config, check_sar_model)
from .semi_base_segmentor import SemiBaseSegmentor
from .unimatch_segmentor import UniMatchSegmentor

__all__ = [
    'FixMatchSegmentor', 'SARCascadeEncoderDecoder', 'SAREncoderDecoder',
    'SARSegmentorMixin', 'SemiBaseSegmentor', 'UNSUPPORTED_HEADS',
    'UniMatchSegmentor', 'check_sar_config', 'check_sar_model'
]
