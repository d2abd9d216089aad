from .sar_segmentor import (UNSUPPORTED_HEADS, SARCascadeEncoderDecoder,
                            SAREncoderDecoder, SARSegmentorMixin,
                            capture_classifier_input, check_sar_config,
                            check_sar_model)

__all__ = [
    'SARCascadeEncoderDecoder', 'SAREncoderDecoder', 'SARSegmentorMixin',
    'UNSUPPORTED_HEADS', 'capture_classifier_input', 'check_sar_config',
    'check_sar_model'
]
