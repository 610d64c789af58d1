"""What graders use: checks, harness helpers, budgets, and the failure types.

Graders are plain pytest modules run by the engine with the plugin in
`trainer.grading.plugin`; see docs/authoring.md.
"""

from trainer.grading import checks
from trainer.grading.budget import Call, distinct_per_run
from trainer.grading.harness import counting_metric, one_pass, one_pass_range, output_of, seeded_rng
from trainer.sandbox.client import CandidateFailure, CandidateRaised

__all__ = ["checks", "counting_metric", "one_pass", "one_pass_range", "output_of", "seeded_rng", "Call",
           "distinct_per_run",
           "CandidateFailure", "CandidateRaised"]
