"""The auto-tuner (DESIGN.md section 5): rules that propose deltas, the guards that hold them,
and the tuner that applies what they let through."""
