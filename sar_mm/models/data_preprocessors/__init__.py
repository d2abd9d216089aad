from .multi_branch_data_preprocessor import MultiBranchDataPreprocessor

__all__ = ['MultiBranchDataPreprocessor']
