from .multi_source_sampler import (MultiSourceSampler,
                                   check_multi_source_loaders)

__all__ = ['MultiSourceSampler', 'check_multi_source_loaders']
