"""Install sar_mm into an existing environment: ``pip install -e .``.

mmcv is deliberately not a hard requirement: it comes either as the
pure-Python ``mmcv-lite`` (``pip install -e .[lite]``) or as the full build
with compiled ops, and pip cannot express "one of the two". ``make install``
picks one for you; see docs/en/get_started.md, "Manual install".

A wheel (``pip install .``) also carries ``configs/`` and ``tools/`` as
``sar_mm/.mim/``, where OpenMMLab packages keep theirs, so configs outside
the repository can inherit ``sar_mm::`` configs (see
``sar_mm/compat/config_scope.py``). The repository's folders stay the only
copy in git.
"""
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
# shipped inside the package, as sar_mm/.mim/<name>
MIM_FOLDERS = ('configs', 'tools')


class BuildPyWithMim(build_py):
    """``build_py`` that copies :data:`MIM_FOLDERS` into the built package.

    Editable installs skip it: there ``sar_mm::`` resolves to the checkout's
    ``configs/`` directly.
    """

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        for name in MIM_FOLDERS:
            shutil.copytree(
                osp.join(HERE, name),
                osp.join(self.build_lib, 'sar_mm', '.mim', name),
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'),
                dirs_exist_ok=True)


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'sar_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='sar_mm',
    version=read_version(),
    description='Balanced and long-tailed representation learning for '
    'OpenMMLab: SAR, BCL, RCL, GH and long-tailed tooling.',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['sar_mm', 'sar_mm.*']),
    install_requires=[
        # torch.serialization.add_safe_globals with (obj, name) pairs,
        # which the weights-only checkpoint loading registers (2.6)
        'torch>=2.6',
        'torchvision',
        'mmengine>=0.10.0,<0.11',
        'mmsegmentation>=1.2.2,<1.3',
        'mmpretrain>=1.2.0,<1.3',
        'numpy',
        'scikit-learn',
        'matplotlib',
        'tqdm',
        # imported by mmseg.utils, undeclared by the mmsegmentation wheel
        'ftfy',
        'regex',
        # mmengine 0.10.7 imports pkg_resources at run time
        'setuptools<82',
    ],
    cmdclass={'build_py': BuildPyWithMim},
    extras_require={
        'lite': ['mmcv-lite==2.1.0'],
        'tb': ['tensorboard'],
        'tests': ['pytest>=7', 'pytest-timeout'],
    },
    zip_safe=False,
)
