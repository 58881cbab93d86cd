"""A run's configuration, and its settings resolved once.

:class:`TrainConfig` is what a caller asks for (``None``: the default).
:func:`resolve_settings` turns it, with the profile, the model's recipe and, on
resume, the checkpoint's saved settings, into one frozen :class:`RunSettings`
that the builders and the trainer take as they are. No TensorFlow here: the
command line checks a configuration before TensorFlow is imported.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from bagan_lib.errors import KitError
from bagan_lib.models.recipes import AUGMENTATIONS, TRANSITION_RAMP, check_strategy, get_recipe
from bagan_lib.profiles import Profile, get_profile

DEFAULT_PROTOCOLS = {"fashion_mnist": "bagan_gp_paper", "mnist": "bagan_gp_paper", "cifar10": "bagan_gp_paper"}
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")  # Keras dtype policies (bagan_lib.runtime.devices)
DISTRIBUTIONS = ("none", "mirrored", "multiworker")         # tf.distribute strategies (bagan_lib.runtime.devices)
# may change when a run is resumed; precision and distribute too: the checkpoint holds float32 variables, one copy
RESUMABLE = ("epochs", "gp_lambda", "critic_steps", "learning_rate", "precision", "distribute")
DEFAULTS = {"learning_rate": None, "precision": "float32", "distribute": "none"}
# a notebook session's choice (notebook_setup.start sets them): the defaults of precision and distribute
ENVIRONMENT = {"precision": "BAGAN_PRECISION", "distribute": "BAGAN_DISTRIBUTE"}

# the critic's augmentation: "none" asks for none explicitly (None: unset, the checkpoint's on resume)
AUGMENT_CHOICES = ("none",) + AUGMENTATIONS

# transitional conditioning: "none" asks for none, "default" for the paper-shaped ramp (TRANSITION_RAMP of the epochs)
TRANSITION_WORDS = ("none", "default")

MAX_SEED = 2**32 - 1  # NumPy's legacy seeding (which Keras uses) takes 0 .. 2**32 - 1


def check_seed(seed, name: str = "seed") -> int:
    """``seed`` as an int if NumPy, Keras and TensorFlow all accept it (a whole number 0 .. 2**32 - 1), else a KitError."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise KitError(f"{name}={seed!r} is not a seed: it must be a whole number from 0 to {MAX_SEED}.",
                       f"pass e.g. {name}=42.")
    return int(seed)


@dataclass(frozen=True)
class ClusterRole:
    """This process in a ``TF_CONFIG`` cluster: its task, and whether it is the chief (which writes the files)."""

    task_type: str
    index: int
    workers: int          # processes that train (chief and workers)
    has_chief: bool = False

    @property
    def chief(self) -> bool:
        """The ``chief`` task, else worker 0 of a cluster without one (TensorFlow's rule)."""
        return self.task_type == "chief" or (self.task_type == "worker" and self.index == 0 and not self.has_chief)


def cluster_role(environ=None) -> ClusterRole | None:
    """This process's role from ``TF_CONFIG`` (None when it is not set); read without TensorFlow."""
    text = (os.environ if environ is None else environ).get("TF_CONFIG")
    if not text:
        return None
    try:
        spec = json.loads(text)
        cluster, task = spec["cluster"], spec["task"]
        role = ClusterRole(str(task["type"]), int(task["index"]),
                           len(cluster.get("chief", [])) + len(cluster.get("worker", [])), "chief" in cluster)
    except (ValueError, KeyError, TypeError) as exc:
        raise KitError(f"TF_CONFIG is not a cluster description ({exc}).",
                       'set it to JSON such as {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                       '"task": {"type": "worker", "index": 0}}.') from exc
    return role


def check_devices(precision: str | None, distribute: str | None, jit_compile: bool = False) -> None:
    """A KitError for a precision, a distribution, or a combination with XLA, that no run can use (None: unset)."""
    if precision is not None and precision not in PRECISIONS:
        raise KitError(f"precision={precision!r} is not a precision policy.",
                       f"use one of {', '.join(PRECISIONS)} (mixed_bfloat16 on CPUs and recent GPUs, mixed_float16 "
                       "on GPUs).")
    if distribute is not None and distribute not in DISTRIBUTIONS:
        raise KitError(f"distribute={distribute!r} is not a distribution.", f"use one of {', '.join(DISTRIBUTIONS)}.")
    if jit_compile and distribute not in (None, "none"):
        raise KitError(f"jit_compile=True (--xla) cannot run with distribute={distribute!r}: TensorFlow cannot run "
                       "the gradient all-reduce inside the compiled critic update.",
                       "use one device with XLA (distribute='none'), or several devices without it.")
    if distribute == "multiworker" and cluster_role() is None:
        raise KitError("distribute='multiworker' needs the cluster in the TF_CONFIG environment variable.",
                       'set TF_CONFIG on every machine, e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                       '"task": {"type": "worker", "index": 0}} (README, "Running on several machines").')


@dataclass
class TrainConfig:
    """Everything a run depends on. ``None`` fields take the profile's (or the model's) value."""

    model: str = "bagan_gp_v3"
    dataset: str = "synthetic_cells"
    profile: str | None = None           # None: $BAGAN_PROFILE, else "teach"
    out_dir: str = "runs/train"
    seed: int = 42
    protocol: str | None = None          # None: the paper's protocol for the dataset (fashion_mnist: table B)
    protocol_options: dict = field(default_factory=dict)   # e.g. {"rate": 10} for capgan
    epochs: int | None = None
    ae_epochs: int | None = None
    gp_lambda: float | None = None       # None: 10 for BAGAN-GP and cDRAGAN, 0 for BAGAN
    learning_rate: float | None = None   # None: the model's Adam (2e-4; BAGAN 5e-5)
    latent_dim: int | None = None
    critic_steps: int | None = None      # None: the profile's for BAGAN-GP and cDRAGAN, 1 for BAGAN
    image_size: int | None = None
    width: float | None = None
    batch_size: int | None = None
    max_per_class: int | None = None
    steps_per_epoch: int | None = None   # the profile's is a cap: at most one pass over the data
    checkpoint_every: int | None = None  # steps; None: at epoch ends only
    jit_compile: bool = False
    precision: str | None = None         # float32, mixed_float16, mixed_bfloat16; None: the checkpoint's on resume,
    distribute: str | None = None        # none, mirrored, multiworker; ... else the session's (notebook_setup), else
                                         # float32 on one device (bagan_lib.runtime.devices)
    data_dir: str | None = None
    autoencoder_path: str | None = None  # start from this saved autoencoder (another run's) instead of training one
    pretrain: str | None = None          # capgan: none, ros, two_phase or ensemble (None: ros, the paper's)
    augment: str | None = None           # none, diffaugment or ada (bagan_lib.gan.augment); None: the checkpoint's
                                         # on resume, else none. Fixed for a run: a resume must keep it
    gsr: float | None = None             # group spectral regularisation's lambda (bagan_lib.gan.group_spectral; the
                                         # paper's 0.5); 0: none; None: the checkpoint's on resume, else none. Fixed
    transition: object = None            # transitional conditioning (bagan_lib.gan.transition): [START, END] epochs
                                         # of the ramp, "default" (a quarter and half of the epochs) or "none"; None:
                                         # the checkpoint's on resume, else none. Fixed for a run
    resume: bool = False
    overwrite: bool = False              # delete a run already in out_dir and start again

    def resolved_profile(self):
        """The profile with this config's overrides; raises KitError on a bad value."""
        return get_profile(self.profile, dataset=self.dataset, epochs=self.epochs, ae_epochs=self.ae_epochs,
                           latent_dim=self.latent_dim,
                           critic_steps=self.critic_steps, image_size=self.image_size, width=self.width,
                           batch_size=self.batch_size, max_per_class=self.max_per_class,
                           steps_per_epoch=self.steps_per_epoch)

    def check(self) -> None:
        """Fail early, before any data is loaded, on a setting no run could use."""
        recipe = get_recipe(self.model)
        check_seed(self.seed)
        if self.pretrain is not None:
            check_strategy(self.pretrain)
            if recipe.autoencoder != "cvae":
                raise KitError(f"pretrain={self.pretrain!r}: {self.model} has no pre-training strategy (only "
                               "CAPGAN's CVAE has).", "leave pretrain=None (no --pretrain), or choose model='capgan'.")
        if self.resume and self.overwrite:
            raise KitError("resume and overwrite exclude each other.",
                           "pass resume=True (--resume) to continue the run in out_dir, or overwrite=True "
                           "(--overwrite) to delete it and start again.")
        for name in ("checkpoint_every", "steps_per_epoch", "max_per_class"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise KitError(f"{name}={value!r} must be a positive whole number.", f"pass e.g. {name}=100.")
        check_devices(self.precision, self.distribute, self.jit_compile)
        if self.learning_rate is not None and not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise KitError(f"learning_rate={self.learning_rate!r} must be a finite number > 0.",
                           "pass e.g. learning_rate=1e-4.")
        recipe.check_gp_lambda(self.model, self.gp_lambda)
        if self.augment is not None and self.augment not in AUGMENT_CHOICES:
            raise KitError(f"augment={self.augment!r} is not an augmentation.",
                           f"use one of {', '.join(AUGMENT_CHOICES)}.")
        recipe.check_augment(self.model, self.requested_augment())
        recipe.check_gsr(self.model, self.gsr)
        if self.transition is not None and self.transition not in TRANSITION_WORDS:
            if isinstance(self.transition, str) or not hasattr(self.transition, "__len__") \
                    or len(self.transition) != 2:
                raise KitError(f"transition={self.transition!r} is not a ramp.",
                               "give [START, END] in epochs (e.g. [5, 10]), 'default' or 'none'.")
            check_ramp_epochs(*self.transition)
        recipe.check_transition(self.model, None if self.transition in (None, "none") else self.transition)

    def requested_augment(self) -> str | None:
        """The augmentation asked for: ``None`` for none or unset (on resume: see :func:`resolve_settings`)."""
        return None if self.augment in (None, "none") else self.augment

    def pretrain_strategy(self) -> str | None:
        """The pre-training strategy this run uses: the explicit one, else the model's (CAPGAN: ros)."""
        return self.pretrain or get_recipe(self.model).pretrain

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RunSettings:
    """Everything a run trains with, resolved once by :func:`resolve_settings`; nothing downstream re-decides it."""

    model: str
    profile: Profile                     # the profile with the config's overrides
    epochs: int
    gp_lambda: float
    critic_steps: int
    learning_rate: float | None          # None: the recipe's Adam (2e-4; BAGAN 5e-5)
    precision: str                       # the Keras dtype policy the networks are built under
    distribute: str                      # the tf.distribute strategy: none, mirrored or multiworker
    pretrain: str | None                 # CAPGAN's pre-training strategy; None for the other models
    augment: str | None = None           # the critic's augmentation: None, "diffaugment" or "ada"; fixed for a run
    gsr: float | None = None             # gSR's lambda (None: none); fixed for a run
    transition: tuple | None = None      # (start, end) epochs of the transition's ramp (None: none); fixed for a run
    changed: tuple = ()                  # (name, checkpoint's value, new value) for each explicit change on resume

    def resumable(self) -> dict:
        """The settings a resumed run may change (:data:`RESUMABLE`), as recorded in the checkpoint."""
        return {name: getattr(self, name) for name in RESUMABLE}

    def recorded(self) -> dict:
        """What a run records of its settings (config.json, every checkpoint): the resumable ones and the fixed
        ``augment``, ``gsr`` and ``transition``."""
        return {**self.resumable(), "augment": self.augment, "gsr": self.gsr,
                "transition": None if self.transition is None else list(self.transition)}

    def transition_steps(self, steps_per_epoch: int) -> tuple | None:
        """The ramp in training steps, ``(start * steps_per_epoch, end * steps_per_epoch)``; None without one."""
        return None if self.transition is None else tuple(e * steps_per_epoch for e in self.transition)


def check_ramp_epochs(start, end) -> tuple[float, float]:
    """``(start, end)`` epochs of a transition as numbers, ``0 <= start < end`` (finite), else a KitError."""
    try:
        start, end = float(start), float(end)
    except (TypeError, ValueError) as exc:
        raise KitError(f"transition=({start!r}, {end!r}) is not a ramp.", "give two numbers of epochs START < END.") \
            from exc
    if not (0 <= start < end and math.isfinite(end)):
        raise KitError(f"transition=({start:g}, {end:g}): the ramp must start at epoch 0 or later and end after it "
                       "starts.", "give 0 <= START < END epochs (e.g. 5 10), or 'default' (a quarter and half of "
                       "the run).")
    return start, end


def _fixed_setting(name: str, asked, previous: dict, saved, *, unset: bool, show=str) -> object:
    """A setting fixed for a run: ``asked``, or the checkpoint's when ``unset``; a KitError when a resume asks for
    another (a checkpoint from before the setting had none)."""
    value = previous.get(name) if unset else asked
    if saved is not None and value != previous.get(name):
        old = show(previous.get(name))
        raise KitError(f"The checkpoint was trained with {name}={old!r}, not {show(value)!r}: it is part of the run.",
                       f"resume with --{name} {old} (or leave it out), or start a new run in another folder.")
    return value


def resolve_settings(config: TrainConfig, saved: dict | None = None) -> RunSettings:
    """The one place a run's settings are decided: explicit, else the checkpoint's (``saved``, on resume), else the
    defaults (the profile's epochs for the dataset; the recipe's penalty weight; the recipe's critic steps where it
    fixes them, else the profile's; precision and distribute: ``$BAGAN_PRECISION`` and ``$BAGAN_DISTRIBUTE``, set by
    :func:`bagan_lib.notebook_setup.start`, else float32 on one device). ``augment``, ``gsr`` and ``transition`` are
    fixed for a run: unset on resume, the checkpoint's; an explicit one (``"none"`` or 0 included) must be the
    checkpoint's. A ``"default"`` transition is resolved here, once, to epochs (a quarter and half of the run's
    epochs) and recorded as such. Raises KitError on a setting no run could use."""
    profile = config.resolved_profile()
    config.check()
    recipe = get_recipe(config.model)
    previous = (saved or {}).get("settings", {})
    defaults = {"epochs": profile.epochs, "gp_lambda": recipe.gp_lambda,
                "critic_steps": recipe.resolved_critic_steps(profile.critic_steps), **DEFAULTS,
                **{name: os.environ[variable] for name, variable in ENVIRONMENT.items() if os.environ.get(variable)}}
    chosen = {}
    for name in RESUMABLE:
        explicit = getattr(config, name)
        chosen[name] = explicit if explicit is not None else previous.get(name, defaults[name])
    check_devices(chosen["precision"], chosen["distribute"], config.jit_compile)
    augment = previous.get("augment") if config.augment is None else config.requested_augment()
    if saved is not None and augment != previous.get("augment"):  # a checkpoint without it: no augmentation
        raise KitError(f"The checkpoint was trained with augment={previous.get('augment') or 'none'!r}, not "
                       f"{augment or 'none'!r}: the critic's augmentation (and ADA's state) is part of the run.",
                       f"resume with --augment {previous.get('augment') or 'none'} (or leave it out), or start a "
                       "new run in another folder.")
    recipe.check_augment(config.model, augment)
    previous = {**previous, "transition": None if previous.get("transition") is None
                else tuple(float(e) for e in previous["transition"])}
    gsr = _fixed_setting("gsr", float(config.gsr or 0) or None, previous, saved, unset=config.gsr is None,
                         show=lambda v: f"{v or 0:g}")
    recipe.check_gsr(config.model, gsr)
    if config.transition in (None, "none"):
        asked = None
    elif config.transition == "default":  # the paper's shape relative to the run: TRANSITION_RAMP of the epochs
        asked = tuple(share * chosen["epochs"] for share in TRANSITION_RAMP)
    else:
        asked = check_ramp_epochs(*config.transition)
    transition = _fixed_setting("transition", asked, previous, saved, unset=config.transition is None,
                                show=lambda v: "none" if v is None else " ".join(f"{e:g}" for e in v))
    recipe.check_transition(config.model, transition)
    changed = tuple((name, previous[name], chosen[name]) for name in RESUMABLE
                    if getattr(config, name) is not None and name in previous and previous[name] != chosen[name])
    return RunSettings(model=config.model, profile=profile, pretrain=config.pretrain_strategy(), changed=changed,
                       augment=augment, gsr=gsr, transition=transition, **chosen)


def saved_config(path) -> TrainConfig:
    """The :class:`TrainConfig` a run saved in its ``config.json`` (``path``); a KitError if the file is missing,
    not JSON, or not a run's configuration (e.g. edited by hand or truncated)."""
    path = Path(path)
    fix = "pass the --out folder of a `python -m bagan_lib train` run, or train the run again if its config.json " \
          "was damaged."
    if not path.is_file():
        raise KitError(f"{path.parent} is not a run folder (no config.json).", fix)
    try:
        saved = json.loads(path.read_text())["config"]
        return TrainConfig(**saved)
    except OSError as exc:
        raise KitError(f"Cannot read {path}: {exc.strerror or exc}.", fix) from exc
    except (ValueError, KeyError, TypeError) as exc:  # not JSON, no "config", unknown or missing fields
        raise KitError(f"{path} is not a run's configuration ({type(exc).__name__}: {exc}).", fix) from exc
