"""Facts read from a trajectory's steps, shared by checks, rewards and step labels.

Checks turn facts into columns and findings; rewards and step labels turn the same facts into numbers of
their own. Both import only from here, never from each other, so a fact is computed by one function:
- `steps`: bounded looks at observations, file identity, action kinds, patches, repetition;
- `edits`: what a step wrote into which file;
- `testruns`: test counts read from the output of test runs;
- `coherence`: whether actions follow from what the agent saw and said;
- `trajectory`: expected actions, the step-ratio score, the final patch's hygiene;
- `scoring`: ratios, clamping and means over known values.
"""
