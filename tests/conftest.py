from hypothesis import settings

# Derandomized so that a CI run and a developer's run explore the same examples; pass
# --hypothesis-seed=N to explore others.
settings.register_profile("ccsim", derandomize=True, print_blob=True)
settings.load_profile("ccsim")
