/** Pieces of two-step sign-in shared by the sign-in page and the account page. */
import { Button, Checkbox, Code, CopyButton, Group, Image, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { TwoFactorEnrolment } from '../../../shared/contracts/two-factor.ts';

/** The QR code and the secret as text, with what to do with them. */
export function EnrolmentStep({ enrolment }: { enrolment: TwoFactorEnrolment }) {
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg)}`;
  return (
    <Stack gap="xs">
      <Text size="sm">
        Scan this code with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, Aegis…),
        then enter the 6-digit code it shows.
      </Text>
      <Image src={src} alt="QR code to add Steward to your authenticator app" w={180} h={180} mx="auto" />
      <Text size="sm">Can't scan? Type this key into the app instead:</Text>
      <Group gap="xs" wrap="nowrap">
        <Code style={{ wordBreak: 'break-all' }} data-testid="two-factor-secret">
          {enrolment.secret}
        </Code>
        <CopyButton value={enrolment.secret}>
          {({ copied, copy }) => (
            <Button size="compact-xs" variant="light" onClick={copy}>
              {copied ? 'Copied' : 'Copy key'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

/** The field for a 6-digit code (or, when `recovery`, a recovery code). */
export function CodeField(props: {
  value: string;
  onChange: (v: string) => void;
  error?: string | null;
  recovery?: boolean;
  autoFocus?: boolean;
}) {
  return (
    <TextInput
      label={props.recovery ? 'Recovery code' : 'Code from your app'}
      description={props.recovery ? 'One of the ten codes you saved, like k7p2m-x9c4d.' : undefined}
      autoComplete="one-time-code"
      inputMode={props.recovery ? 'text' : 'numeric'}
      maxLength={32}
      autoFocus={props.autoFocus}
      value={props.value}
      onChange={(e) => props.onChange(e.currentTarget.value)}
      error={props.error}
    />
  );
}

/** Why a code cannot be sent yet, or null. */
function codeProblem(code: string, recovery = false): string | null {
  const c = code.replace(/[\s-]/g, '');
  if (!c) return recovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code from your app.';
  if (!recovery && !/^\d{6}$/.test(c)) return 'The code from your app is 6 digits.';
  if (recovery && c.length !== 10) return 'A recovery code has 10 letters and digits.';
  return null;
}

/**
 * What is typed in a CodeField, and the problem found when it was to be sent (cleared by the
 * next keystroke): the set-up, proof and sign-in forms share it.
 */
export function useCodeInput() {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return {
    value,
    problem,
    onChange: (v: string) => {
      setValue(v);
      setProblem(null);
    },
    /** True when the code may be sent; otherwise the field says why. */
    check: (recovery = false) => {
      const p = codeProblem(value, recovery);
      setProblem(p);
      return p === null;
    },
    clear: () => {
      setValue('');
      setProblem(null);
    },
  };
}

/** The ten recovery codes, shown once: copy, download, and confirm they are saved before going on. */
export function RecoveryCodesView({
  codes,
  onDone,
  doneLabel,
}: {
  codes: string[];
  onDone: () => void;
  doneLabel: string;
}) {
  const [saved, setSaved] = useState(false);
  const text = `Steward recovery codes — each signs in once without your app.\n\n${codes.join('\n')}\n`;
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'steward-recovery-codes.txt';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Stack>
      <Text size="sm">
        Keep these codes somewhere safe, away from your phone. Each one signs you in once if you lose your app. They are
        shown only now.
      </Text>
      <SimpleGrid cols={2} spacing="xs" aria-label="Recovery codes" role="list">
        {codes.map((c) => (
          <Code key={c} role="listitem" ta="center" fz="sm">
            {c}
          </Code>
        ))}
      </SimpleGrid>
      <Group>
        <CopyButton value={text}>
          {({ copied, copy }) => (
            <Button variant="light" onClick={copy}>
              {copied ? 'Copied' : 'Copy codes'}
            </Button>
          )}
        </CopyButton>
        <Button variant="light" onClick={download}>
          Download
        </Button>
      </Group>
      <Checkbox label="I have saved these codes" checked={saved} onChange={(e) => setSaved(e.currentTarget.checked)} />
      <Button onClick={onDone} disabled={!saved} aria-describedby={saved ? undefined : 'recovery-save-first'}>
        {doneLabel}
      </Button>
      {!saved && (
        <Text id="recovery-save-first" size="xs">
          Tick “I have saved these codes” to continue.
        </Text>
      )}
    </Stack>
  );
}
