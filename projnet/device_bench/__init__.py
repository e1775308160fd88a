"""device_bench: latency and memory of a .tflite where it will run.

Standalone by design: this subpackage imports numpy and a TFLite runtime only, never TensorFlow
or the training side of projnet, so `pip install 'projnet[device]'` is all a phone-class host needs.
Run it as `python -m projnet.device_bench MODEL.tflite`.
"""
