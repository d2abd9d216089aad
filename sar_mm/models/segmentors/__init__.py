from .sar_segmentor import (SARCascadeEncoderDecoder, SAREncoderDecoder,
                            SARSegmentorMixin, capture_classifier_input)

__all__ = [
    'SARCascadeEncoderDecoder', 'SAREncoderDecoder', 'SARSegmentorMixin',
    'capture_classifier_input'
]
