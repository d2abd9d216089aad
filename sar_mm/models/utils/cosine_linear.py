import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


class CosineLinear(nn.Module):
    """Cosine classifier: ``scale * cos(x, w_k)`` for every class ``k``.

    BCL's ``NormedLinear`` (``models/resnext.py`` of
    github.com/FlamieZhu/Balanced-Contrastive-Learning; Zhu et al., CVPR
    2022), with the weight stored as ``(num_classes, in_features)`` like
    ``nn.Linear``, so ``weight[k]`` is the class-``k`` vector BCL turns
    into a prototype. Initialised as the reference: uniform in [-1, 1],
    then every class vector rescaled to unit norm.

    Args:
        in_features (int): Feature channels D.
        out_features (int): Number of classes C.
        scale (float): Logit scale s. Defaults to 30.
    """

    def __init__(self, in_features: int, out_features: int,
                 scale: float = 30.):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.scale = scale
        weight = torch.empty(out_features, in_features).uniform_(-1, 1)
        self.weight = nn.Parameter(F.normalize(weight, dim=1))

    def forward(self, x: Tensor) -> Tensor:
        return self.scale * F.normalize(x, dim=1) @ F.normalize(
            self.weight, dim=1).T

    def extra_repr(self) -> str:
        return (f'in_features={self.in_features}, '
                f'out_features={self.out_features}, scale={self.scale}')
