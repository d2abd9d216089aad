from .long_tail_pixel_sampler import LongTailPixelSampler

__all__ = ['LongTailPixelSampler']
