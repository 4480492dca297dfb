"""The comparison engine: measure combinations (harness), report them (report),
and the programs that drive them: ``compare`` on the built-in workloads,
``function_compare`` on a user's function, ``pythons`` across interpreters."""
