from .gh_mocov3 import GHMoCoV3
from .gh_self_supervisor_mixin import GHSelfSupervisorMixin, sample_indices
from .gh_simclr import GHSimCLR

__all__ = ['GHMoCoV3', 'GHSelfSupervisorMixin', 'GHSimCLR', 'sample_indices']
