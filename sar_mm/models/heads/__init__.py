from .bcl_head import BCLHead
from .logit_adjust_head import LogitAdjustLinearClsHead
from .sar_linear_cls_head import SARLinearClsHead

__all__ = ['BCLHead', 'LogitAdjustLinearClsHead', 'SARLinearClsHead']
