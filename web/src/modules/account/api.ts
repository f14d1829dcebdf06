import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'

export type TotpStatus = Schemas['TotpStatus']
export type TotpSetup = Schemas['TotpSetup']
export type LoginSession = Schemas['SessionRead']

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  const { error, response } = await api.POST('/api/v1/auth/password', {
    body: { current_password: currentPassword, new_password: newPassword },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'password change failed')
}

export async function totpStatus(): Promise<TotpStatus> {
  const { data, error, response } = await api.GET('/api/v1/auth/totp')
  if (data === undefined) throw new ProblemError(error, response.status, 'TOTP status failed')
  return data
}

export async function beginTotp(): Promise<TotpSetup> {
  const { data, error, response } = await api.POST('/api/v1/auth/totp/enrol')
  if (data === undefined) throw new ProblemError(error, response.status, 'TOTP enrolment failed')
  return data
}

export async function confirmTotp(code: string): Promise<string[]> {
  const { data, error, response } = await api.POST('/api/v1/auth/totp/confirm', { body: { code } })
  if (data === undefined) throw new ProblemError(error, response.status, 'TOTP confirmation failed')
  return data.recovery_codes
}

export async function replaceRecoveryCodes(code: string): Promise<string[]> {
  const { data, error, response } = await api.POST('/api/v1/auth/totp/recovery-codes', { body: { code } })
  if (data === undefined) throw new ProblemError(error, response.status, 'recovery codes failed')
  return data.recovery_codes
}

export async function disableTotp(code: string): Promise<void> {
  const { error, response } = await api.POST('/api/v1/auth/totp/disable', { body: { code } })
  if (!response.ok) throw new ProblemError(error, response.status, 'TOTP disable failed')
}

export async function mySessions(): Promise<LoginSession[]> {
  const { data, error, response } = await api.GET('/api/v1/auth/sessions')
  if (data === undefined) throw new ProblemError(error, response.status, 'sessions failed')
  return data.items
}

export async function revokeSession(sessionId: string): Promise<void> {
  const { error, response } = await api.DELETE('/api/v1/auth/sessions/{session_id}', {
    params: { path: { session_id: sessionId } },
  })
  if (!response.ok) throw new ProblemError(error, response.status, 'session revoke failed')
}

/** Ends every session except the current one in one call; returns how many ended. */
export async function revokeOtherSessions(): Promise<number> {
  const { data, error, response } = await api.POST('/api/v1/auth/sessions/revoke-others')
  if (data === undefined) throw new ProblemError(error, response.status, 'sessions revoke failed')
  return data.revoked
}
