from typing import Optional

import torch.distributed as dist

# (the world group it was made for, a gloo group over the same ranks)
_host_group: Optional[tuple] = None


def host_process_group():
    """A process group over all ranks whose collectives run on the host
    (gloo), for exchanging Python values: row counts, random states.

    Exchanging them over NCCL would put them on the device and read them
    back, a host-device synchronisation. The group is made once per world
    group; every rank must call this at the same point, as creating a
    group needs. When the default group is gloo already, it is returned.
    """
    global _host_group
    world = dist.group.WORLD
    if dist.get_backend() == dist.Backend.GLOO:
        return world
    if _host_group is None or _host_group[0] is not world:
        _host_group = (world, dist.new_group(backend=dist.Backend.GLOO))
    return _host_group[1]
