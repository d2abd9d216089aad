from .sar_segmentor import (SARCascadeEncoderDecoder, SAREncoderDecoder,
                            SARSegmentorMixin)

__all__ = [
    'SARCascadeEncoderDecoder', 'SAREncoderDecoder', 'SARSegmentorMixin'
]
