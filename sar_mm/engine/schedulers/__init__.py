from .fixmatch_cosine_lr import FixMatchCosineLR

__all__ = ['FixMatchCosineLR']
