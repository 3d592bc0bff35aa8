"""The agent's patch and the tree it applies to: the repository checked out at the base commit alone (sources,
git, work tree), the patch inspected and applied, its static analysis and its comparison with the reference."""
