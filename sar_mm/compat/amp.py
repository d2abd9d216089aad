"""``--amp`` on a machine without CUDA.

mmengine 0.10.7's ``AmpOptimWrapper`` asserts a GPU. On CPU, the toolkit's
tools use :class:`CPUAmpOptimWrapper` instead: bfloat16 autocast, which keeps
float32's exponent range, so no loss scaling is needed.
"""
from contextlib import contextmanager
from typing import Union

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` with CPU autocast.

    Args:
        dtype (str | torch.dtype): Autocast dtype. Defaults to bfloat16, the
            dtype CPU autocast supports best.
        **kwargs: Passed to :class:`OptimWrapper`.
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = torch.bfloat16,
                 **kwargs):
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype,
                                                              str) else dtype

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield
