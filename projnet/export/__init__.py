"""Export: drop the trainer, convert the student to float and full-integer .tflite, check and measure it."""
