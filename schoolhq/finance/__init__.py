"""Finance: budget lines, purchase requests approved by amount, acceptance before payment,
and the expenditure journal."""
