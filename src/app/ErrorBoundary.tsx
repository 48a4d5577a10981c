import { Component, type ReactNode } from 'react';

interface Props {
  /** What failed, in words ("the trace"). */
  what: string;
  children: ReactNode;
}

/**
 * A part of the page that fails to render says so and offers to try again,
 * instead of taking the whole page down (a blank page would lose the user's
 * place; their text is safe in the store and in localStorage either way).
 */
export class ErrorBoundary extends Component<Props, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="panel-failure" role="alert">
        <p>
          Something went wrong showing {this.props.what}: {this.state.error.message}
        </p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
