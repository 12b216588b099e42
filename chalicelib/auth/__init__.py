"""Who is calling: visitor tokens we sign, operator tokens Cognito signs."""
