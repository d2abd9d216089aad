"""Multi-process training on machines without CUDA.

mmengine 0.10.7 calls ``torch.cuda.set_device`` unconditionally when it
initialises ``--launcher pytorch``, and its Runner hands ``device_ids=[rank]``
to ``DistributedDataParallel``; both fail on a CPU-only machine. The toolkit's
``tools/train.py`` and ``tools/test.py`` call :func:`setup_cpu_distributed`
first: it starts the process group itself with the gloo backend (mmengine
then sees an initialised group and skips its own set-up) and swaps in a DDP
wrapper that does not pin a device. On a machine with CUDA it does nothing.
"""
import logging
import os

import torch
import torch.distributed as torch_dist
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` for CPU processes (gloo).

    Drops the ``device_ids`` the Runner passes (CPU modules take none) and
    turns SyncBN layers into plain BN, since SyncBN has no CPU kernel: on CPU
    each process normalises with its own batch statistics.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        module = revert_sync_batchnorm(module)
        super().__init__(module=module, device_ids=None, **kwargs)


def setup_cpu_distributed(cfg, launcher: str) -> bool:
    """Prepare ``--launcher pytorch`` for a machine without CUDA.

    Args:
        cfg (mmengine.Config): The run's config; its ``env_cfg.dist_cfg``
            and ``model_wrapper_cfg`` are updated in place.
        launcher (str): The ``--launcher`` argument.

    Returns:
        bool: True if the gloo process group was started here.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} needs CUDA; on a CPU-only machine use '
            f'--launcher pytorch (tools/dist_train.sh), which runs on gloo.')
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        kwargs = {k: v for k, v in dist_cfg.items() if k != 'backend'}
        if 'timeout' in kwargs:
            import datetime
            kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
        torch_dist.init_process_group(backend='gloo', **kwargs)
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='CPUDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    if int(os.environ.get('LOCAL_RANK', 0)) == 0:
        print_log(
            'No CUDA device: distributed run on CPU with the gloo backend.',
            logger='current',
            level=logging.WARNING)
    return True
