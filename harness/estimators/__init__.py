"""Estimators the harness ships: plain scikit-learn estimators (``fit``/``predict``, parameters in
``__init__``, randomness through ``random_state``).

- ``harness.estimators.faithful``: the ICT4S'22 study's random forest and AdaBoost as they behaved
  on scikit-learn 0.24, on whatever scikit-learn is installed (``replication: ict4s22``).
"""
