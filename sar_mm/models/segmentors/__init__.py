from .fixmatch_segmentor import FixMatchSegmentor
from .sar_segmentor import (SARCascadeEncoderDecoder, SAREncoderDecoder,
                            SARSegmentorMixin, capture_classifier_input)
from .semi_base_segmentor import SemiBaseSegmentor
from .unimatch_segmentor import UniMatchSegmentor

__all__ = [
    'FixMatchSegmentor', 'SARCascadeEncoderDecoder', 'SAREncoderDecoder',
    'SARSegmentorMixin', 'SemiBaseSegmentor', 'UniMatchSegmentor',
    'capture_classifier_input'
]
