"""
The engine: judging one patient's records against a trial's compiled rules.

``evaluator`` compiles rule trees and evaluates them; ``patient`` indexes a patient's
records once; ``latest`` and ``measure`` choose and judge measurements; ``kleene``
merges three-valued results; ``builtins`` holds the core's registered functions;
``parallel`` spreads independent patients over processes.

May import: ``trialrules.language``, ``trialrules.errors``, ``trialrules.limits`` and
``trialrules.plugin`` (its hook marker). Never inputs, views, the CLI or the population engines.
"""
