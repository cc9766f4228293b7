"""Training and assessment (培训与考核): requirements by role, sessions with attendance,
completions with validity, and the people × requirements matrix."""
