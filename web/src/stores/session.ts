import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import { api, type Schemas } from '@/api/client'
import { ProblemError } from '@/api/problem'
import { clearNames } from '@/components/records/names'

import { heldRights, meets, type Permission, type Requirement, type Right } from './access'
import { usePreferencesStore } from './preferences'

export type { Permission, Requirement, Right } from './access'

type LoginResponse = Schemas['LoginResponse']

export interface SignedInUser {
  userId: string
  tenantId: string
  displayName: string
  role: string
  locale: string
  timezone: string
  permissions: Permission[]
  /** The permissions and every 'object:action' the role grants, as /api/v1/auth/me lists them. */
  rights: Right[]
}

export interface Challenge {
  token: string
  enrolled: boolean
  displayName: string
}

const DISPLAY_NAME_KEY = 'zhike.display-name'
const TENANT_KEY = 'zhike.tenant'

export const useSessionStore = defineStore('session', () => {
  const user = ref<SignedInUser | null>(null)
  const challenge = ref<Challenge | null>(null)
  const recoveryCodes = ref<string[]>([])
  const expired = ref(false)
  const restored = ref(false)
  const signedIn = computed(() => user.value !== null)

  function lastTenant(): string {
    return window.localStorage.getItem(TENANT_KEY) ?? ''
  }

  async function loadMe(displayName?: string): Promise<boolean> {
    const { data } = await api.GET('/api/v1/auth/me')
    restored.value = true
    if (data === undefined || data.user_id === null || data.user_id === undefined) {
      user.value = null
      return false
    }
    const name = displayName ?? window.sessionStorage.getItem(DISPLAY_NAME_KEY) ?? data.role
    window.sessionStorage.setItem(DISPLAY_NAME_KEY, name)
    user.value = {
      userId: data.user_id,
      tenantId: data.tenant_id,
      displayName: name,
      role: data.role,
      locale: data.locale,
      timezone: data.timezone,
      permissions: data.permissions,
      rights: heldRights(data.permissions, data.object_actions),
    }
    expired.value = false
    usePreferencesStore().adoptUser(data.user_id, data.locale)
    return true
  }

  /** Look for a live cookie session once per page load (a reload keeps the user signed in). */
  async function restore(): Promise<boolean> {
    if (user.value !== null) return true
    if (restored.value) return false
    return loadMe()
  }

  async function finish(body: LoginResponse): Promise<'signed-in' | 'second-step'> {
    if (body.totp_required) {
      challenge.value = {
        token: body.challenge_token ?? '',
        enrolled: body.totp_enrolled ?? true,
        displayName: body.display_name,
      }
      return 'second-step'
    }
    challenge.value = null
    clearNames()
    recoveryCodes.value = body.recovery_codes ?? []
    await loadMe(body.display_name)
    return 'signed-in'
  }

  /** Step 1 of login. Resolves to 'second-step' when the account uses TOTP. */
  async function login(
    tenant: string,
    email: string,
    password: string,
  ): Promise<'signed-in' | 'second-step'> {
    const { data, error, response } = await api.POST('/api/v1/auth/login', {
      body: { tenant, email, password, mode: 'cookie' },
    })
    if (data === undefined) throw new ProblemError(error, response.status, 'login failed')
    window.localStorage.setItem(TENANT_KEY, tenant)
    return finish(data)
  }

  /** Step 2: a six-digit TOTP code, or one of the recovery codes. */
  async function verify(code: { code?: string; recoveryCode?: string }): Promise<void> {
    if (challenge.value === null) throw new Error('no login challenge is open')
    const { data, error, response } = await api.POST('/api/v1/auth/login/totp', {
      body: {
        challenge_token: challenge.value.token,
        code: code.code ?? null,
        recovery_code: code.recoveryCode ?? null,
      },
    })
    if (data === undefined) throw new ProblemError(error, response.status, 'verification failed')
    await finish(data)
  }

  /** For a role that must use TOTP but has none yet: the secret to add to an authenticator app. */
  async function startEnrolment(): Promise<{ secret: string; otpauthUri: string }> {
    if (challenge.value === null) throw new Error('no login challenge is open')
    const { data, error, response } = await api.POST('/api/v1/auth/login/totp-setup', {
      body: { challenge_token: challenge.value.token },
    })
    if (data === undefined) throw new ProblemError(error, response.status, 'setup failed')
    return { secret: data.secret, otpauthUri: data.otpauth_uri }
  }

  /** True when the signed-in user meets the requirement; see `Requirement` for its forms. */
  function can(required: Requirement | undefined): boolean {
    return meets(user.value?.rights ?? [], required)
  }

  function cancelChallenge(): void {
    challenge.value = null
  }

  function clear(): void {
    user.value = null
    clearNames()
    window.sessionStorage.removeItem(DISPLAY_NAME_KEY)
    usePreferencesStore().forgetUser()
  }

  /** Forget the user locally once the server has ended the session (expiry, idle limit, revocation). */
  function markExpired(): void {
    if (user.value === null) return
    clear()
    expired.value = true
  }

  async function logout(): Promise<void> {
    await api.POST('/api/v1/auth/logout')
    clear()
    expired.value = false
  }

  return {
    user,
    challenge,
    recoveryCodes,
    expired,
    signedIn,
    can,
    lastTenant,
    restore,
    login,
    verify,
    startEnrolment,
    cancelChallenge,
    markExpired,
    logout,
  }
})
