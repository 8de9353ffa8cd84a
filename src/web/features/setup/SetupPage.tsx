import {
  Alert,
  Button,
  Checkbox,
  Container,
  Group,
  List,
  Paper,
  PasswordInput,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconX } from '@tabler/icons-react';
import { Navigate, useNavigate } from 'react-router';
import { timeZones } from '../../../shared/contracts/setup.ts';
import { DEFAULT_PASSWORD_POLICY, passwordProblems } from '../../../shared/password-policy.ts';
import { ApiError } from '../../app/api.ts';
import { useSetup } from '../../app/session.queries.ts';
import { useSetupStatus } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { ErrorState, FullPageLoader } from '../../components/states.tsx';

const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'CAD', 'AUD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'BRL', 'JPY'];

type Values = {
  businessName: string;
  template: 'studio' | 'stores' | '';
  name: string;
  email: string;
  password: string;
  confirm: string;
  timezone: string;
  currency: string;
  demoData: boolean;
};

const POLICY_HINTS = [
  {
    text: `At least ${DEFAULT_PASSWORD_POLICY.minLength} characters`,
    test: (p: string) => [...p].length >= DEFAULT_PASSWORD_POLICY.minLength,
  },
  { text: 'An upper-case letter', test: (p: string) => /\p{Lu}/u.test(p) },
  { text: 'A lower-case letter', test: (p: string) => /\p{Ll}/u.test(p) },
  { text: 'A digit', test: (p: string) => /\p{Nd}/u.test(p) },
];

const TIME_ZONES = timeZones();
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function SetupPage() {
  const status = useSetupStatus();
  usePageTitle('Set up');
  const navigate = useNavigate();
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: {
      businessName: '',
      template: '',
      name: '',
      email: '',
      password: '',
      confirm: '',
      timezone: TIME_ZONES.includes(BROWSER_ZONE) ? BROWSER_ZONE : 'UTC',
      currency: 'EUR',
      demoData: false,
    },
    validate: {
      businessName: (v) => (v.trim() ? null : 'Enter the business name.'),
      template: (v) => (v ? null : 'Choose what kind of business this is.'),
      name: (v) => (v.trim() ? null : 'Enter your name.'),
      email: (v) => (/^\S+@\S+\.\S+$/.test(v.trim()) ? null : 'Enter a valid email address.'),
      password: (v) => passwordProblems(v)[0] ?? null,
      confirm: (v, all) => (v === all.password ? null : 'The passwords do not match.'),
    },
  });

  const submit = useSetup();
  const send = (v: Values) =>
    submit.mutate(
      {
        businessName: v.businessName,
        template: v.template as 'studio' | 'stores',
        admin: { name: v.name, email: v.email, password: v.password },
        timezone: v.timezone,
        currency: v.currency,
        demoData: v.demoData,
      },
      {
        onSuccess: () => {
          notifications.show({
            color: 'teal',
            title: 'Steward is ready',
            message: 'Sign in with the account you just created.',
          });
          navigate(`/login?email=${encodeURIComponent(v.email.trim())}`, { replace: true });
        },
        onError: (err) => {
          if (err instanceof ApiError) {
            const fields = err.fieldErrors();
            form.setErrors({
              businessName: fields.businessName,
              template: fields.template,
              name: fields['admin.name'],
              email: fields['admin.email'],
              password: fields['admin.password'],
              timezone: fields.timezone,
              currency: fields.currency,
            });
          }
        },
      },
    );

  if (status.isPending) return <FullPageLoader />;
  if (status.isError) return <ErrorState error={status.error} onRetry={() => status.refetch()} />;
  // Someone arriving after setup is sent to sign in; the success handler routes this user itself.
  if (!status.data.needed && !submit.isSuccess) return <Navigate to="/login" replace />;

  const password = form.getValues().password;
  const formError =
    submit.error instanceof ApiError && !Object.keys(submit.error.fieldErrors()).length ? submit.error : null;

  return (
    <Container size={720} py="xl">
      <Stack gap="xs" mb="lg">
        <Title order={1}>Welcome to Steward</Title>
        <Text c="dimmed">Set up your business and create the first administrator. This is done once.</Text>
      </Stack>
      <form onSubmit={form.onSubmit(send)} noValidate aria-label="First-run setup">
        <Stack gap="lg">
          <Paper withBorder p="lg">
            <Stack>
              <Title order={2} size="h4">
                Your business
              </Title>
              <TextInput label="Business name" required autoFocus {...form.getInputProps('businessName')} />
              <Radio.Group
                label="What kind of business is it?"
                description="This decides the built-in roles and which modules are switched on. Modules can be added later."
                required
                {...form.getInputProps('template')}
              >
                <SimpleGrid cols={{ base: 1, sm: 2 }} mt="xs">
                  {status.data.templates.map((t) => (
                    <Radio.Card key={t.key} value={t.key} p="md" radius="md" aria-label={t.label}>
                      <Group wrap="nowrap" align="flex-start">
                        <Radio.Indicator />
                        <div>
                          <Text fw={600}>{t.label}</Text>
                          <Text size="sm" c="dimmed">
                            {t.description}
                          </Text>
                          <Text size="xs" mt={4}>
                            Roles: {t.roles.join(', ')}
                          </Text>
                        </div>
                      </Group>
                    </Radio.Card>
                  ))}
                </SimpleGrid>
              </Radio.Group>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Select
                  label="Time zone"
                  description="Times are shown in this zone"
                  data={TIME_ZONES}
                  searchable
                  allowDeselect={false}
                  nothingFoundMessage="No time zone by that name"
                  {...form.getInputProps('timezone')}
                />
                <Select label="Currency" data={CURRENCIES} allowDeselect={false} {...form.getInputProps('currency')} />
              </SimpleGrid>
            </Stack>
          </Paper>
          <Paper withBorder p="lg">
            <Stack>
              <Title order={2} size="h4">
                First administrator
              </Title>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label="Your name" required autoComplete="name" {...form.getInputProps('name')} />
                <TextInput label="Email" required type="email" autoComplete="email" {...form.getInputProps('email')} />
                <PasswordInput
                  label="Password"
                  required
                  autoComplete="new-password"
                  {...form.getInputProps('password')}
                />
                <PasswordInput
                  label="Repeat the password"
                  required
                  autoComplete="new-password"
                  {...form.getInputProps('confirm')}
                />
              </SimpleGrid>
              <List size="sm" spacing={2} aria-label="Password requirements">
                {POLICY_HINTS.map((h) => {
                  const ok = h.test(password);
                  return (
                    <List.Item
                      key={h.text}
                      icon={ok ? <IconCheck size={14} color="teal" /> : <IconX size={14} color="gray" />}
                      c={ok ? 'teal' : 'dimmed'}
                    >
                      {h.text}
                    </List.Item>
                  );
                })}
              </List>
            </Stack>
          </Paper>
          <Checkbox
            label="Add demo staff accounts (one per role, without passwords until you set them)"
            {...form.getInputProps('demoData', { type: 'checkbox' })}
          />
          {formError && (
            <Alert color="red" title={formError.title} role="alert">
              {formError.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button type="submit" size="md" loading={submit.isPending}>
              Create business and administrator
            </Button>
          </Group>
        </Stack>
      </form>
    </Container>
  );
}
