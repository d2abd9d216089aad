"""2-D embeddings of features for plotting: t-SNE or PCA."""
from typing import Optional, Tuple

import numpy as np

METHODS = ('tsne', 'pca')


def embed_2d(features: np.ndarray,
             extra: Optional[np.ndarray] = None,
             method: str = 'tsne',
             seed: int = 0) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Map ``features`` (and ``extra`` points of the same space, e.g.
    anchors) to 2-D.

    ``'tsne'`` (scikit-learn's t-SNE, PCA-initialised) embeds both sets
    together, since t-SNE cannot place new points afterwards; ``'pca'``
    fits the two principal axes on ``features`` only and projects ``extra``
    onto them (linear, fast, distances preserved along those axes).

    Args:
        features (np.ndarray): ``(N, D)`` features.
        extra (np.ndarray, optional): ``(M, D)`` more points.
        method (str): ``'tsne'`` or ``'pca'``. Defaults to ``'tsne'``.
        seed (int): Random state of t-SNE. Defaults to 0.

    Returns:
        tuple[np.ndarray, np.ndarray | None]: ``(N, 2)`` and ``(M, 2)``
        coordinates.
    """
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')
    features = np.asarray(features, dtype=np.float32)
    if method == 'pca':
        from sklearn.decomposition import PCA
        pca = PCA(n_components=2, random_state=seed).fit(features)
        return pca.transform(features), None if extra is None else \
            pca.transform(np.asarray(extra, dtype=np.float32))
    from sklearn.manifold import TSNE
    points = features if extra is None else np.concatenate(
        [features, np.asarray(extra, dtype=np.float32)])
    # perplexity must stay below the number of points
    perplexity = min(30.0, max(2.0, (len(points) - 1) / 3))
    xy = TSNE(
        n_components=2, init='pca', perplexity=perplexity,
        random_state=seed).fit_transform(points)
    if extra is None:
        return xy, None
    return xy[:len(features)], xy[len(features):]
