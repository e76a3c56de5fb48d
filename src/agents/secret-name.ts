/** Names whose values are secrets whatever their use: redacted wherever a run's data goes. */
export const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;
