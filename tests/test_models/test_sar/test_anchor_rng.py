"""SAR's anchors come from its own generator: independent of the model's
weights, reproducible from the run's seed, and never touching the global
generator (geyanqi/SAR draws them from the global one; an earlier version
here rewound it, so the model's next weights were the anchors)."""
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS as SEG_MODELS

from sar_mm.models.sar import build_sar
from tests.utils import DEMO_CONFIGS


def build(seed=None, num_classes=11, feat_channels=64):
    return build_sar(dict(seed=seed) if seed is not None else None,
                     SEG_MODELS, num_classes=num_classes,
                     feat_channels=feat_channels, ignore_index=255,
                     owner='test')


def test_building_sar_neither_consumes_nor_rewinds_the_global_generator():
    torch.manual_seed(0)
    expected = torch.rand(5)
    torch.manual_seed(0)
    torch.rand(2)
    build()
    assert torch.equal(torch.rand(3), expected[2:])


def test_anchors_share_no_numbers_with_the_next_global_draws():
    """Over many run seeds, the anchors and the weights a model would draw
    next are neither equal nor correlated (the rewound generator made
    them equal)."""
    correlations = []
    for seed in range(50):
        torch.manual_seed(seed)
        anchors = build().predefined_anchors.flatten()
        following = torch.randn(anchors.numel())
        # float32 normals collide by chance now and then; the rewound
        # generator shared every value
        assert torch.isin(anchors, following).sum() <= 2
        correlations.append(
            torch.corrcoef(torch.stack([anchors, following]))[0, 1])
    correlations = torch.stack(correlations)
    # 704 pairs per seed: one correlation has sd ~ 1/sqrt(704) = 0.038
    assert correlations.abs().max() < 0.2
    assert correlations.mean().abs() < 0.02


def test_anchors_follow_the_run_seed_or_their_own():
    torch.manual_seed(3)
    first = build()
    torch.manual_seed(3)
    again = build()
    torch.manual_seed(4)
    other = build()
    assert torch.equal(first.predefined_anchors, again.predefined_anchors)
    assert torch.equal(first.state_dict()['projector.0.0.weight'],
                       again.state_dict()['projector.0.0.weight'])
    assert not torch.equal(first.predefined_anchors,
                           other.predefined_anchors)
    # an explicit seed ignores the run's
    torch.manual_seed(5)
    own = build(seed=7)
    torch.manual_seed(6)
    assert torch.equal(build(seed=7).predefined_anchors,
                       own.predefined_anchors)


def test_the_model_around_sar_initialises_as_without_it():
    """One seed, the same weights with and without SAR, whatever SAR
    draws; and the global generator is where it would be."""
    init_default_scope('mmseg')
    weights, after = [], []
    for name in ('fcn_lt-digit-scenes.py', 'fcn_lt-digit-scenes_sar.py'):
        cfg = Config.fromfile(DEMO_CONFIGS / name)
        torch.manual_seed(0)
        model = SEG_MODELS.build(cfg.model)
        model.init_weights()
        weights.append(model.state_dict())
        after.append(torch.rand(4))
    plain, with_sar = weights
    assert set(plain) < set(with_sar)
    assert all(torch.equal(plain[k], with_sar[k]) for k in plain)
    assert torch.equal(*after)
    # the classifier is not a scaled copy of the anchors any more
    anchors = with_sar['sar.predefined_anchors']
    conv_seg = with_sar['decode_head.conv_seg.weight'].flatten(1)
    assert not torch.allclose(conv_seg, 0.01 * anchors, atol=1e-3)


def _rank_anchors(rank, init_file, results):
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    try:
        for diff_rank_seed in (False, True):
            # as mmengine's set_random_seed: the seed, plus the rank if asked
            torch.manual_seed(7 + (rank if diff_rank_seed else 0))
            sar = build(num_classes=3, feat_channels=4)
            built = sar.predefined_anchors.clone()
            # the first anchor step starts every rank from rank 0's anchors
            sar.losses(lambda a: a[:, :3], {})
            results[(rank, diff_rank_seed)] = (built,
                                               sar.predefined_anchors.clone())
    finally:
        dist.destroy_process_group()


def test_one_seed_gives_every_rank_the_same_anchors(tmp_path):
    results = mp.Manager().dict()
    # fork: the workers inherit the imported packages
    mp.start_processes(_rank_anchors, args=(str(tmp_path / 'init'), results),
                       nprocs=2, start_method='fork')
    torch.manual_seed(7)
    expected = build(num_classes=3, feat_channels=4).predefined_anchors
    for rank in (0, 1):
        built, synced = results[(rank, False)]
        assert torch.equal(built, expected) and torch.equal(synced, expected)
        # per-rank seeds build different anchors; rank 0's are kept
        built, synced = results[(rank, True)]
        assert torch.equal(built, expected) is (rank == 0)
        assert torch.equal(synced, expected)


def test_anchors_and_their_state_survive_save_and_load():
    torch.manual_seed(1)
    trained = build()
    trained.semantic_anchors.normal_()
    trained.anchors_initialized.fill_(True)
    torch.manual_seed(2)
    resumed = build()
    resumed.load_state_dict(trained.state_dict())
    for key, value in trained.state_dict().items():
        assert torch.equal(resumed.state_dict()[key], value), key
